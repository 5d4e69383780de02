package io.imgindex.flags;

/**
 * A size in bytes, written {@code 512kb}, {@code 20 mb}, {@code 1g} or a bare number of bytes; units are binary
 * multiples (k = 1024), as Flink's {@code MemorySize} reads them, so a flag means the same to the job and the server.
 */
public record ByteSize(long bytes) implements Comparable<ByteSize> {

    private static final String[][] UNITS = {
        {"b", "bytes"},
        {"k", "kb", "kibibytes"},
        {"m", "mb", "mebibytes"},
        {"g", "gb", "gibibytes"},
        {"t", "tb", "tebibytes"}
    };

    public ByteSize {
        if (bytes < 0) {
            throw new IllegalArgumentException("a size cannot be negative: " + bytes);
        }
    }

    public static ByteSize ofBytes(long bytes) {
        return new ByteSize(bytes);
    }

    public static ByteSize ofMebiBytes(long mebibytes) {
        return new ByteSize(Math.multiplyExact(mebibytes, 1L << 20));
    }

    public long getBytes() {
        return bytes;
    }

    /**
     * Reads {@code <whole number>[ ]<unit>}.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    public static ByteSize parse(String text) {
        Quantity q = Quantity.parse(text);
        long value = q.value();
        String unit = q.unit();
        if (unit.isEmpty()) {
            return new ByteSize(value);
        }
        for (int power = 0; power < UNITS.length; power++) {
            for (String label : UNITS[power]) {
                if (label.equals(unit)) {
                    try {
                        return new ByteSize(Math.multiplyExact(value, 1L << (10 * power)));
                    } catch (ArithmeticException e) {
                        throw new IllegalArgumentException("'" + text + "' is more bytes than a long holds", e);
                    }
                }
            }
        }
        throw new IllegalArgumentException(
                "size unit '" + unit + "' is none of b, kb, mb, gb, tb (or k, m, g, t) in '" + text + "'");
    }

    /** The largest of gb, mb and kb that divides the size, else bytes: {@code 256 mb}, {@code 1500 bytes}. */
    @Override
    public String toString() {
        String[] names = {"bytes", "kb", "mb", "gb"};
        for (int power = names.length - 1; power > 0; power--) {
            long unit = 1L << (10 * power);
            if (bytes != 0 && bytes % unit == 0) {
                return bytes / unit + " " + names[power];
            }
        }
        return bytes + " bytes";
    }

    @Override
    public int compareTo(ByteSize other) {
        return Long.compare(bytes, other.bytes);
    }
}
