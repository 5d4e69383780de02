package io.imgindex.imaging.fetch;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Politeness per host: a host that answers 429 (too many requests) or 503 (unavailable) is left alone until the
 * time it asked for ({@code Retry-After}, in seconds or as an HTTP date) or, when it did not say, for a backoff
 * that doubles with each refusal in a row (from {@code initial}, at most {@code max}). Every request to that host
 * waits until then, not only the refused one, so a fetcher with many URLs on one refusing host does not hammer it.
 * An answer that is not a refusal resets the count.
 *
 * <p>Thread-safe. Remembers at most {@link #MAX_HOSTS} hosts; past that, hosts whose pause is over are forgotten.
 */
final class HostBackoff {

    static final int MAX_HOSTS = 10_000;

    /** The longest pause a {@code Retry-After} may ask for; longer ones are taken as this. */
    static final Duration LONGEST_ASKED = Duration.ofMinutes(10);

    private record Pause(long untilNanos, int refusals) {}

    private final ConcurrentHashMap<String, Pause> hosts = new ConcurrentHashMap<>();
    private final Duration initial;
    private final Duration max;
    private final LongSupplier clock;

    HostBackoff(Duration initial, Duration max) {
        this(initial, max, System::nanoTime);
    }

    HostBackoff(Duration initial, Duration max, LongSupplier clock) {
        this.initial = initial;
        this.max = max;
        this.clock = clock;
    }

    /** How long a request to {@code host} should wait before it is sent: zero when the host is not paused. */
    long waitNanos(String host) {
        Pause p = hosts.get(key(host));
        if (p == null) {
            return 0;
        }
        return Math.max(0, p.untilNanos - clock.getAsLong());
    }

    /**
     * The host refused (429 or 503): pauses it for what it asked, else for the doubling backoff.
     *
     * @return the pause, from now
     */
    long refused(String host, String retryAfter) {
        long now = clock.getAsLong();
        long asked = parseRetryAfter(retryAfter, System.currentTimeMillis());
        Pause p = hosts.compute(key(host), (h, old) -> {
            int refusals = old == null ? 1 : old.refusals + 1;
            long pause = asked >= 0 ? asked : backoff(refusals);
            long until = Math.max(now + pause, old == null ? 0 : old.untilNanos);
            return new Pause(until, refusals);
        });
        trim(now);
        return Math.max(0, p.untilNanos - now);
    }

    /** The host answered (anything but a refusal): its count starts again. */
    void answered(String host) {
        hosts.computeIfPresent(key(host), (h, old) -> old.untilNanos > clock.getAsLong() ? old : null);
    }

    /** Hosts being remembered. */
    int size() {
        return hosts.size();
    }

    private long backoff(int refusals) {
        long base = initial.toNanos();
        long d = refusals >= 31 ? Long.MAX_VALUE : base << (refusals - 1);
        return Math.min(d < 0 ? Long.MAX_VALUE : d, max.toNanos());
    }

    private void trim(long now) {
        if (hosts.size() > MAX_HOSTS) {
            hosts.entrySet().removeIf(e -> e.getValue().untilNanos <= now);
        }
    }

    private static String key(String host) {
        return host == null ? "" : host.toLowerCase(Locale.ROOT);
    }

    /**
     * A {@code Retry-After} value as nanoseconds from now: delta seconds or an HTTP date (RFC 9110), at most {@link
     * #LONGEST_ASKED}; -1 when absent or not understood (then the backoff applies).
     */
    static long parseRetryAfter(String value, long nowMillis) {
        if (value == null || value.isBlank()) {
            return -1;
        }
        String v = value.strip();
        long millis;
        if (v.chars().allMatch(Character::isDigit)) {
            if (v.length() > 9) {
                millis = LONGEST_ASKED.toMillis();
            } else {
                millis = Long.parseLong(v) * 1000;
            }
        } else {
            try {
                millis = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME)
                                .toInstant()
                                .toEpochMilli()
                        - nowMillis;
            } catch (DateTimeParseException e) {
                return -1;
            }
        }
        millis = Math.max(0, Math.min(millis, LONGEST_ASKED.toMillis()));
        return Duration.ofMillis(millis).toNanos();
    }
}
