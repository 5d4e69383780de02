package io.imgindex.dedup.near;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Random-hyperplane LSH (SimHash): {@code tables x bits} Gaussian hyperplanes through a centre. A vector's code in
 * a table is the side of each of the table's hyperplanes it lies on; two vectors at angle {@code θ} agree on a bit
 * with probability {@code 1 - θ/π}. Besides the code, {@link #sketch} names the buckets whose codes differ in
 * one of the bits the vector is least certain of (the smallest margins), which is where a near neighbour that
 * landed elsewhere most likely is (multi-probe LSH). All the codes together are the vector's signature.
 *
 * <p>Deterministic for a seed and dimension; immutable; thread-safe.
 */
public final class Hyperplanes {

    private final int dimension;
    private final int tables;
    private final int bits;
    private final int probes;
    /** Transposed: {@code planes[j * count + p]} is component {@code j} of hyperplane {@code p}. */
    private final float[] planes;

    private final int count;

    public Hyperplanes(int dimension, NearDupParams params) {
        if (dimension < 1) {
            throw new IllegalArgumentException("dimension must be positive, was " + dimension);
        }
        this.dimension = dimension;
        this.tables = params.tables();
        this.bits = params.bits();
        this.probes = params.probes();
        this.count = tables * bits;
        this.planes = new float[dimension * count];
        SplittableRandom random = new SplittableRandom(params.seed() ^ ((long) dimension << 32));
        for (int i = 0; i < planes.length; i++) {
            planes[i] = (float) gaussian(random);
        }
    }

    /**
     * Where to look for neighbours of {@code vector}, and its signature.
     *
     * @param vector the vector (any length-normalisation; the centre is subtracted here)
     * @param center the centre the hyperplanes pass through, or null for the origin
     */
    public Sketch sketch(float[] vector, float[] center) {
        float[] margins = margins(vector, center);
        long[] keys = new long[tables * (1 + probes)];
        long[] signature = new long[signatureWords()];
        int k = 0;
        int[] order = new int[bits];
        float[] abs = new float[bits];
        for (int t = 0; t < tables; t++) {
            int code = code(margins, t);
            keys[k++] = key(t, code);
            if (probes > 0) {
                leastCertain(margins, t, order, abs);
                for (int i = 0; i < probes; i++) {
                    keys[k++] = key(t, code ^ (1 << order[i]));
                }
            }
            int bit = t * bits;
            for (int b = 0; b < bits; b++, bit++) {
                if ((code & (1 << b)) != 0) {
                    signature[bit >>> 6] |= 1L << (bit & 63);
                }
            }
        }
        return new Sketch(keys, signature, 1 + probes);
    }

    /** Longs in a signature: one bit per hyperplane. */
    public int signatureWords() {
        return (count + 63) >>> 6;
    }

    /**
     * A vector's view through the hyperplanes: the bucket keys to probe (per table its own code first, then the
     * {@code probes} codes with one low-margin bit flipped; a key is the table number above the code's bits) and its
     * signature, the side of every hyperplane as one bit. Two signatures differ in a bit with probability
     * {@code θ/π} for vectors at angle {@code θ} (after the centre is subtracted), so the Hamming distance between
     * signatures ranks candidates by angle without touching their vectors.
     */
    public record Sketch(long[] probeKeys, long[] signature, int keysPerTable) {

        /** The own bucket key in every table: where the vector is filed when kept. */
        public long[] homeKeys() {
            long[] keys = new long[probeKeys.length / keysPerTable];
            for (int t = 0; t < keys.length; t++) {
                keys[t] = probeKeys[t * keysPerTable];
            }
            return keys;
        }
    }

    /** Bits of the signature a bucket entry carries ({@link #fragment}). */
    public static final int FRAGMENT_BITS = 32;

    /**
     * The {@value #FRAGMENT_BITS} bits of a signature that an entry in a bucket of {@code table} carries: those that
     * follow the table's own bits, wrapping round (the table's own bits are the bucket's code, the same, or one flip
     * away, for every entry in it). Two vectors' fragments differ in a bit with the same probability as their
     * signatures, so the Hamming distance of fragments ranks candidates by angle, more coarsely.
     */
    public int fragment(long[] signature, int table) {
        int f = 0;
        int bit = ((table + 1) * bits) % count;
        for (int i = 0; i < FRAGMENT_BITS; i++) {
            if ((signature[bit >>> 6] & (1L << (bit & 63))) != 0) {
                f |= 1 << i;
            }
            bit = bit + 1 == count ? 0 : bit + 1;
        }
        return f;
    }

    /** The table a bucket key belongs to. */
    public int table(long key) {
        return (int) (key >>> bits);
    }

    /** The fragment of every table, for {@link #fragment}. */
    public int[] fragments(long[] signature) {
        int[] out = new int[tables];
        for (int t = 0; t < tables; t++) {
            out[t] = fragment(signature, t);
        }
        return out;
    }

    public int dimension() {
        return dimension;
    }

    private float[] margins(float[] vector, float[] center) {
        if (vector.length != dimension) {
            throw new IllegalArgumentException(
                    "vector has " + vector.length + " dimensions, the hyperplanes " + dimension);
        }
        float[] m = new float[count];
        // Row by row, so the inner loop is an axpy the JIT vectorises.
        for (int j = 0; j < dimension; j++) {
            float x = center == null ? vector[j] : vector[j] - center[j];
            if (x == 0f) {
                continue;
            }
            int base = j * count;
            for (int p = 0; p < count; p++) {
                m[p] += planes[base + p] * x;
            }
        }
        return m;
    }

    private int code(float[] margins, int table) {
        int code = 0;
        int base = table * bits;
        for (int b = 0; b < bits; b++) {
            if (margins[base + b] > 0f) {
                code |= 1 << b;
            }
        }
        return code;
    }

    /** Fills {@code order[0..probes)} with the bits of a table by increasing |margin|. */
    private void leastCertain(float[] margins, int table, int[] order, float[] abs) {
        int base = table * bits;
        for (int b = 0; b < bits; b++) {
            abs[b] = Math.abs(margins[base + b]);
            order[b] = b;
        }
        // Partial selection sort: probes is small.
        for (int i = 0; i < probes; i++) {
            int min = i;
            for (int j = i + 1; j < bits; j++) {
                if (abs[order[j]] < abs[order[min]]) {
                    min = j;
                }
            }
            int tmp = order[i];
            order[i] = order[min];
            order[min] = tmp;
        }
    }

    /**
     * A bucket's key: the table above the code's bits. Dense, so no two keys of one partition share a {@code
     * Long.hashCode} (keys with the table in the upper half, as before, hashed to {@code table ^ code}: 16 keys per
     * hash, and heap state's hash maps degraded into trees).
     */
    long key(int table, int code) {
        return ((long) table << bits) | code;
    }

    private static double gaussian(SplittableRandom r) {
        // Box-Muller: SplittableRandom has no nextGaussian on Java 17.
        double u = 1.0 - r.nextDouble();
        double v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    @Override
    public String toString() {
        return "Hyperplanes{" + tables + " tables x " + bits + " bits, " + probes + " probes, dimension " + dimension
                + ", " + Arrays.hashCode(Arrays.copyOf(planes, Math.min(16, planes.length))) + "}";
    }
}
