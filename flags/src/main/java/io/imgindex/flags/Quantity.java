package io.imgindex.flags;

import java.util.Locale;

/**
 * A flag value written {@code <whole number>[ ]<unit>}: what sizes and durations share. The unit is lower-cased and
 * empty when there is none.
 */
record Quantity(long value, String unit) {

    /** @throws IllegalArgumentException if the text does not start with a whole number that fits a long */
    static Quantity parse(String text) {
        String t = text.strip();
        int digits = 0;
        while (digits < t.length() && Character.isDigit(t.charAt(digits))) {
            digits++;
        }
        if (digits == 0) {
            throw new IllegalArgumentException("text does not start with a number: '" + text + "'");
        }
        try {
            return new Quantity(
                    Long.parseLong(t.substring(0, digits)),
                    t.substring(digits).strip().toLowerCase(Locale.ROOT));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the number in '" + text + "' is too large", e);
        }
    }
}
