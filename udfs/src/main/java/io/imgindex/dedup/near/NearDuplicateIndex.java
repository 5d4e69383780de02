package io.imgindex.dedup.near;

import java.util.Arrays;

/**
 * Greedy leader clustering with a bounded candidate set: the heart of near-duplicate removal.
 *
 * <p>Items are {@linkplain #offer offered} one at a time, in the order that decides which copy is kept. An item
 * whose cosine similarity to a kept item (a leader) is at or above the threshold is a duplicate of the most
 * similar such leader; otherwise it becomes a leader itself. Only leaders are remembered and matched against, so
 * every duplicate is within the threshold of the item it names: chains do not merge. With A~B, B~C and A!~C
 * offered in the order A, B, C: A is kept, B is a duplicate of A, and C is kept, because B is not a leader and C
 * is not similar enough to A.
 *
 * <p>Candidates: the first {@link NearDupParams#warmup()} leaders are compared exhaustively. When that many are
 * kept, their mean becomes the centre of {@link Hyperplanes} (embeddings of one model share a large common
 * component; hyperplanes through the origin would put most of them on the same side) and every leader is filed
 * in one bucket per table. From then on an item is compared only with the leaders in its own bucket and the
 * probed neighbouring buckets of each table, at most {@code tables * (1 + probes) * bucketCapacity} vectors.
 * A bucket keeps its newest {@code bucketCapacity} leaders.
 *
 * <p>Not thread-safe: one instance per keyed operator (or per benchmark thread).
 */
public final class NearDuplicateIndex {

    /** A near-duplicate decision: the leader matched and the similarity. */
    public record Match(String id, float similarity) {}

    private final NearDupParams params;
    private final Hyperplanes planes;
    private final LeaderStore store;
    private final HandleSet seen = new HandleSet();

    private long comparisons;
    private long evictions;

    public NearDuplicateIndex(NearDupParams params, int dimension, LeaderStore store) {
        this(params, new Hyperplanes(dimension, params), store);
    }

    /** With hyperplanes shared between instances (they are immutable). */
    public NearDuplicateIndex(NearDupParams params, Hyperplanes planes, LeaderStore store) {
        this.params = params;
        this.planes = planes;
        this.store = store;
    }

    /**
     * Decides one item: returns the leader it duplicates, or null after keeping it as a leader.
     *
     * @param vector its embedding (any length; compared by cosine)
     */
    public Match offer(String id, float[] vector) throws Exception {
        if (vector.length != planes.dimension()) {
            throw new IllegalArgumentException(
                    "vector has " + vector.length + " dimensions, expected " + planes.dimension());
        }
        float[] unit = unit(vector);
        if (unit == null) {
            return null; // a zero vector has no direction: similar to nothing, and nothing can match it
        }
        float[] center = store.center();
        long[] keys = null;
        Match match;
        if (center == null) {
            match = exhaustive(unit);
        } else {
            keys = planes.probeKeys(unit, center);
            match = probe(unit, keys);
        }
        if (match == null) {
            keep(id, unit, keys == null ? null : planes.homeKeysOf(keys));
        }
        return match;
    }

    /** Vectors compared so far. */
    public long comparisons() {
        return comparisons;
    }

    /** Leaders pushed out of a full bucket so far. */
    public long evictions() {
        return evictions;
    }

    private Match exhaustive(float[] unit) throws Exception {
        long n = store.handles();
        String bestId = null;
        float best = -2f;
        for (long h = 0; h < n; h++) {
            Leader l = store.leader(h);
            if (l == null) {
                continue;
            }
            float s = dot(unit, l.vector);
            comparisons++;
            if (s > best) {
                best = s;
                bestId = l.id;
            }
        }
        return bestId != null && best >= params.threshold() ? new Match(bestId, clamp(best)) : null;
    }

    private Match probe(float[] unit, long[] keys) throws Exception {
        seen.clear();
        String bestId = null;
        long bestHandle = Long.MAX_VALUE;
        float best = -2f;
        for (long key : keys) {
            long[] bucket = store.bucket(key);
            if (bucket == null) {
                continue;
            }
            for (long h : bucket) {
                if (!seen.add(h)) {
                    continue;
                }
                Leader l = store.leader(h);
                if (l == null) {
                    continue; // expired
                }
                float s = dot(unit, l.vector);
                comparisons++;
                if (s > best || (s == best && h < bestHandle)) {
                    best = s;
                    bestId = l.id;
                    bestHandle = h;
                }
            }
        }
        return bestId != null && best >= params.threshold() ? new Match(bestId, clamp(best)) : null;
    }

    private void keep(String id, float[] unit, long[] homeKeys) throws Exception {
        long handle = store.handles();
        store.putLeader(handle, new Leader(id, unit));
        store.setHandles(handle + 1);
        if (homeKeys != null) {
            file(handle, homeKeys);
        } else if (handle + 1 == params.warmup()) {
            buildBuckets(handle + 1);
        }
    }

    /** Ends the warm-up: the mean of the leaders becomes the centre, and every leader is filed. */
    private void buildBuckets(long n) throws Exception {
        float[] center = new float[planes.dimension()];
        int count = 0;
        for (long h = 0; h < n; h++) {
            Leader l = store.leader(h);
            if (l != null) {
                for (int j = 0; j < center.length; j++) {
                    center[j] += l.vector[j];
                }
                count++;
            }
        }
        if (count > 0) {
            for (int j = 0; j < center.length; j++) {
                center[j] /= count;
            }
        }
        store.setCenter(center);
        for (long h = 0; h < n; h++) {
            Leader l = store.leader(h);
            if (l != null) {
                file(h, planes.homeKeys(l.vector, center));
            }
        }
    }

    private void file(long handle, long[] homeKeys) throws Exception {
        int capacity = params.bucketCapacity();
        for (long key : homeKeys) {
            long[] bucket = store.bucket(key);
            long[] grown;
            if (bucket == null) {
                grown = new long[] {handle};
            } else if (bucket.length < capacity) {
                grown = Arrays.copyOf(bucket, bucket.length + 1);
                grown[bucket.length] = handle;
            } else {
                int drop = bucket.length - capacity + 1;
                evictions += drop;
                grown = new long[capacity];
                System.arraycopy(bucket, drop, grown, 0, capacity - 1);
                grown[capacity - 1] = handle;
            }
            store.putBucket(key, grown);
        }
    }

    /** The vector scaled to length 1, or null for a zero or non-finite vector. */
    static float[] unit(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (!(sum > 0) || Double.isInfinite(sum)) {
            return null;
        }
        float inv = (float) (1 / Math.sqrt(sum));
        float[] u = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            u[i] = v[i] * inv;
        }
        return u;
    }

    /** Dot product with four accumulators (the JIT does not vectorise a single-sum float reduction). */
    static float dot(float[] a, float[] b) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int n = a.length;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    private static float clamp(float s) {
        return Math.min(1f, s);
    }

    /** An open-addressing set of handles, cleared between items without reallocating. */
    private static final class HandleSet {
        private long[] slots = new long[1024];
        private int size;

        HandleSet() {
            Arrays.fill(slots, -1L);
        }

        void clear() {
            if (size > 0) {
                Arrays.fill(slots, -1L);
                size = 0;
            }
        }

        boolean add(long h) {
            if (size * 2 >= slots.length) {
                grow();
            }
            int mask = slots.length - 1;
            int i = (int) (mix(h) & mask);
            while (slots[i] != -1L) {
                if (slots[i] == h) {
                    return false;
                }
                i = (i + 1) & mask;
            }
            slots[i] = h;
            size++;
            return true;
        }

        private void grow() {
            long[] old = slots;
            slots = new long[old.length * 2];
            Arrays.fill(slots, -1L);
            size = 0;
            for (long h : old) {
                if (h != -1L) {
                    add(h);
                }
            }
        }

        private static long mix(long h) {
            h *= 0x9E3779B97F4A7C15L;
            return h ^ (h >>> 29);
        }
    }
}
