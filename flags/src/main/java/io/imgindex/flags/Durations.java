package io.imgindex.flags;

import java.time.Duration;
import java.time.temporal.ChronoUnit;

/** Durations as flags write them: {@code 500ms}, {@code 5 s}, {@code 2min}, {@code 1h}; a bare number is ms. */
public final class Durations {

    private Durations() {}

    private enum Unit {
        DAYS(ChronoUnit.DAYS, "d", "day", "days"),
        HOURS(ChronoUnit.HOURS, "h", "hour", "hours"),
        MINUTES(ChronoUnit.MINUTES, "min", "m", "minute", "minutes"),
        SECONDS(ChronoUnit.SECONDS, "s", "sec", "secs", "second", "seconds"),
        MILLISECONDS(ChronoUnit.MILLIS, "ms", "milli", "millis", "millisecond", "milliseconds"),
        MICROSECONDS(ChronoUnit.MICROS, "µs", "micro", "micros", "microsecond", "microseconds"),
        NANOSECONDS(ChronoUnit.NANOS, "ns", "nano", "nanos", "nanosecond", "nanoseconds");

        final ChronoUnit unit;
        final String[] labels;

        Unit(ChronoUnit unit, String... labels) {
            this.unit = unit;
            this.labels = labels;
        }
    }

    /**
     * Reads {@code <whole number>[ ]<unit>}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static Duration parse(String text) {
        Quantity q = Quantity.parse(text);
        long value = q.value();
        String label = q.unit();
        if (label.isEmpty()) {
            return Duration.ofMillis(value);
        }
        for (Unit u : Unit.values()) {
            for (String l : u.labels) {
                if (l.equals(label)) {
                    try {
                        return Duration.of(value, u.unit);
                    } catch (ArithmeticException e) {
                        throw new IllegalArgumentException("'" + text + "' is too long a duration", e);
                    }
                }
            }
        }
        throw new IllegalArgumentException(
                "time unit '" + label + "' is none of d, h, min, s, ms, µs, ns in '" + text + "'");
    }

    /** In the largest unit that divides it exactly: {@code 10 s}, {@code 1500 ms}, {@code 2 min}. */
    public static String format(Duration d) {
        if (d.isZero()) {
            return "0 ms";
        }
        for (Unit u : Unit.values()) {
            Duration one = u.unit.getDuration();
            boolean exact = one.getSeconds() > 0
                    ? d.getNano() == 0 && d.getSeconds() % one.getSeconds() == 0
                    : d.getNano() % one.getNano() == 0;
            if (exact) {
                return d.dividedBy(one) + " " + u.labels[0];
            }
        }
        throw new AssertionError("a nanosecond divides every duration");
    }
}
