package io.imgindex.dedup.near;

import java.io.Serializable;
import java.time.Duration;

/**
 * How near-duplicates are found.
 *
 * @param threshold cosine similarity at or above which an item is a near-duplicate of a kept one, in (0, 1]
 * @param tables LSH tables: each kept vector is filed under one bucket per table
 * @param bits random hyperplanes per table (bits of a bucket code), 1..30
 * @param probes extra buckets probed per table: the codes with one of the least certain bits flipped
 * @param bucketCapacity kept vectors remembered per bucket; the oldest is forgotten first
 * @param compared at most this many candidates are compared by their vectors: those whose signatures are nearest
 *     (Hamming distance), the others are screened out
 * @param warmup kept vectors compared exhaustively before the buckets are built; their mean is the centre the
 *     hyperplanes pass through
 * @param seed seed of the hyperplanes; part of the index's identity (a rerun with another seed may differ)
 * @param ttl how long a kept vector is remembered in STREAMING mode; {@code null} or zero: for ever
 */
public record NearDupParams(
        float threshold,
        int tables,
        int bits,
        int probes,
        int bucketCapacity,
        int compared,
        int warmup,
        long seed,
        Duration ttl)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_TABLES = 16;
    public static final int DEFAULT_BITS = 12;
    public static final int DEFAULT_PROBES = 3;
    public static final int DEFAULT_BUCKET_CAPACITY = 512;
    public static final int DEFAULT_COMPARED = 64;
    public static final int DEFAULT_WARMUP = 1024;
    public static final long DEFAULT_SEED = 0x1D6E5EEDL;

    public NearDupParams {
        if (!(threshold > 0f && threshold <= 1f)) {
            throw new IllegalArgumentException("near-duplicate threshold must be in (0, 1], was " + threshold);
        }
        check("tables", tables, 1, 256);
        check("bits", bits, 1, 30);
        check("probes", probes, 0, bits);
        check("bucket capacity", bucketCapacity, 1, 1 << 20);
        check("compared", compared, 1, Integer.MAX_VALUE);
        check("warmup", warmup, 1, Integer.MAX_VALUE);
        if (ttl != null && ttl.isNegative()) {
            throw new IllegalArgumentException("near-duplicate TTL must not be negative, was " + ttl);
        }
    }

    /** The defaults with the given threshold. */
    public static NearDupParams withThreshold(float threshold) {
        return new NearDupParams(
                threshold,
                DEFAULT_TABLES,
                DEFAULT_BITS,
                DEFAULT_PROBES,
                DEFAULT_BUCKET_CAPACITY,
                DEFAULT_COMPARED,
                DEFAULT_WARMUP,
                DEFAULT_SEED,
                null);
    }

    /** The same with another threshold. */
    public NearDupParams threshold(float t) {
        return new NearDupParams(t, tables, bits, probes, bucketCapacity, compared, warmup, seed, ttl);
    }

    /** The same with another warm-up size ({@link Integer#MAX_VALUE}: compare exhaustively for ever). */
    public NearDupParams warmup(int w) {
        return new NearDupParams(threshold, tables, bits, probes, bucketCapacity, compared, w, seed, ttl);
    }

    /** The same with another table layout. */
    public NearDupParams lsh(int t, int b, int p) {
        return new NearDupParams(threshold, t, b, p, bucketCapacity, compared, warmup, seed, ttl);
    }

    /** The same with another bucket capacity. */
    public NearDupParams capacity(int c) {
        return new NearDupParams(threshold, tables, bits, probes, c, compared, warmup, seed, ttl);
    }

    /** The same with another limit on the candidates compared by vector ({@link Integer#MAX_VALUE}: all). */
    public NearDupParams compared(int c) {
        return new NearDupParams(threshold, tables, bits, probes, bucketCapacity, c, warmup, seed, ttl);
    }

    /** The same with another TTL. */
    public NearDupParams ttl(Duration t) {
        return new NearDupParams(threshold, tables, bits, probes, bucketCapacity, compared, warmup, seed, t);
    }

    /** Whether kept vectors expire (STREAMING only). */
    public boolean expires() {
        return ttl != null && !ttl.isZero();
    }

    private static void check(String what, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(
                    "near-duplicate " + what + " must be within " + min + ".." + max + ", was " + value);
        }
    }
}
