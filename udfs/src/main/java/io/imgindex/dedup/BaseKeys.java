package io.imgindex.dedup;

import io.imgindex.format.Sha256;
import java.io.IOException;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * Keys of the generation a stream builds on ({@code --base-generation}), each with one value: the ids of its items
 * (with their URLs) or the SHA-256 of their bytes (with their ids). A stream's keyed steps look a key up here before
 * their own state, so an item the base holds already is found without the base's items passing through the job.
 * Immutable and thread-safe.
 *
 * <p>A key is held as 128 bits of its own SHA-256, sorted, beside its value: 16 bytes plus the value per key, found
 * by binary search. Two keys share 128 bits with a probability of about n² / 2^129: none in practice.
 */
public final class BaseKeys {

    /** Where a stream's base keys come from. */
    public interface Source extends Serializable {

        /** The generation a fresh stream builds on, 0 for none. */
        long generation();

        /** Loads the keys of {@code generation} a subtask needs: those for which {@code mine} holds. */
        BaseKeys load(long generation, Predicate<String> mine) throws IOException;
    }

    private final long[] high;
    private final long[] low;
    private final String[] values;

    private BaseKeys(long[] high, long[] low, String[] values) {
        this.high = high;
        this.low = low;
        this.values = values;
    }

    /** No keys. */
    public static BaseKeys empty() {
        return new BaseKeys(new long[0], new long[0], new String[0]);
    }

    /** The value of {@code key}, or null when the base does not hold it. */
    public String get(String key) {
        long[] h = hash(key);
        int lo = 0;
        int hi = high.length - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int c = compare(high[mid], low[mid], h[0], h[1]);
            if (c < 0) {
                lo = mid + 1;
            } else if (c > 0) {
                hi = mid - 1;
            } else {
                return values[mid];
            }
        }
        return null;
    }

    public int size() {
        return values.length;
    }

    /** Bytes held, estimated: the two hash halves, the value references and the values' characters. */
    public long bytes() {
        long chars = 0;
        for (String v : values) {
            chars += 40 + v.length();
        }
        return 24L * values.length + chars;
    }

    private static long[] hash(String key) {
        ByteBuffer b = ByteBuffer.wrap(Sha256.newDigest().digest(key.getBytes(StandardCharsets.UTF_8)));
        return new long[] {b.getLong(), b.getLong()};
    }

    private static int compare(long h1, long l1, long h2, long l2) {
        int c = Long.compareUnsigned(h1, h2);
        return c != 0 ? c : Long.compareUnsigned(l1, l2);
    }

    /** Gathers keys and values; a key added twice keeps its first value. */
    public static final class Builder {
        private final List<long[]> hashes = new ArrayList<>();
        private final List<String> values = new ArrayList<>();

        public Builder add(String key, String value) {
            hashes.add(hash(key));
            values.add(value);
            return this;
        }

        public BaseKeys build() {
            Integer[] order = new Integer[values.size()];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, (a, b) -> {
                int c = compare(hashes.get(a)[0], hashes.get(a)[1], hashes.get(b)[0], hashes.get(b)[1]);
                return c != 0 ? c : Integer.compare(a, b);
            });
            long[] high = new long[order.length];
            long[] low = new long[order.length];
            String[] v = new String[order.length];
            int n = 0;
            for (int i : order) {
                long[] h = hashes.get(i);
                if (n > 0 && high[n - 1] == h[0] && low[n - 1] == h[1]) {
                    continue; // the same key again: the first value stays
                }
                high[n] = h[0];
                low[n] = h[1];
                v[n] = values.get(i);
                n++;
            }
            return new BaseKeys(Arrays.copyOf(high, n), Arrays.copyOf(low, n), Arrays.copyOf(v, n));
        }
    }
}
