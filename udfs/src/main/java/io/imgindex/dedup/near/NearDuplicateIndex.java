package io.imgindex.dedup.near;

import io.imgindex.vectors.DotKernel;
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
 * probed neighbouring buckets of each table, at most {@code tables * (1 + probes) * bucketCapacity} candidates.
 * A bucket keeps its newest {@code bucketCapacity} leaders, each in one long: its handle and 32 bits of its
 * signature (one bit per hyperplane: {@link Hyperplanes#fragment}); of the candidates, only the {@link
 * NearDupParams#compared()} whose signature bits are nearest in Hamming distance are
 * compared by their vectors. So the float work per item is bounded by that number, whatever the bucket sizes.
 *
 * <p>Not thread-safe: one instance per keyed operator (or per benchmark thread).
 */
public final class NearDuplicateIndex {

    private static final DotKernel KERNEL = DotKernel.best();

    /** The lower half of a bucket entry: its signature fragment. */
    private static final long FRAGMENT_MASK = 0xffffffffL;

    /** A near-duplicate decision: the leader matched, the similarity, and whether that leader is a replica. */
    public record Match(String id, float similarity, boolean replica) {}

    private final NearDupParams params;
    private final Hyperplanes planes;
    private final LeaderStore store;
    private final HandleSet seen = new HandleSet();
    private final Candidates candidates;
    private final int[] entryHistogram;
    private long[][] probed = new long[64][];
    private int[] distances = new int[4096];

    private long comparisons;
    private long screened;
    private long evictions;

    public NearDuplicateIndex(NearDupParams params, int dimension, LeaderStore store) {
        this(params, new Hyperplanes(dimension, params), store);
    }

    /** With hyperplanes shared between instances (they are immutable). */
    public NearDuplicateIndex(NearDupParams params, Hyperplanes planes, LeaderStore store) {
        this.params = params;
        this.planes = planes;
        this.store = store;
        this.candidates = new Candidates(Hyperplanes.FRAGMENT_BITS);
        this.entryHistogram = new int[Hyperplanes.FRAGMENT_BITS + 1];
    }

    /**
     * Decides one item: returns the leader it duplicates, or null after keeping it as a leader.
     *
     * @param vector its embedding (any length; compared by cosine)
     */
    public Match offer(String id, float[] vector) throws Exception {
        return offer(id, vector, false);
    }

    /**
     * Decides one item, which is kept as a {@linkplain Leader#replica replica} (a neighbouring partition's item)
     * or as this partition's own leader when nothing matches it.
     */
    public Match offer(String id, float[] vector, boolean replica) throws Exception {
        return offer(id, vector, replica, null);
    }

    /**
     * The same with the item's sketch computed already (by the router, against the same centre: {@link
     * Routing#center()}), or null to compute it here.
     */
    public Match offer(String id, float[] vector, boolean replica, Hyperplanes.Sketch given) throws Exception {
        if (vector.length != planes.dimension()) {
            throw new IllegalArgumentException(
                    "vector has " + vector.length + " dimensions, expected " + planes.dimension());
        }
        float[] unit = unit(vector);
        if (unit == null) {
            return null; // a zero vector has no direction: similar to nothing, and nothing can match it
        }
        float[] center = store.center();
        Hyperplanes.Sketch sketch = null;
        Match match;
        if (center == null) {
            match = exhaustive(unit);
        } else {
            sketch = given != null ? given : planes.sketch(unit, center);
            // With a centre given from the start, the first leaders are still compared exhaustively (a small run
            // decides as exactly as before), and filed in their buckets as they come.
            match = store.handles() < params.warmup() ? exhaustive(unit) : probe(unit, sketch);
        }
        if (match == null) {
            keep(id, unit, sketch, replica);
        }
        return match;
    }

    /**
     * Keeps an item as a leader without matching it: an item of the generation an append builds on, which is
     * indexed already whatever it resembles.
     */
    public void keepLeader(String id, float[] vector) throws Exception {
        keepLeader(id, vector, null);
    }

    /** The same with the item's sketch computed already, or null. */
    public void keepLeader(String id, float[] vector, Hyperplanes.Sketch given) throws Exception {
        if (vector.length != planes.dimension()) {
            throw new IllegalArgumentException(
                    "vector has " + vector.length + " dimensions, expected " + planes.dimension());
        }
        float[] unit = unit(vector);
        if (unit == null) {
            return;
        }
        float[] center = store.center();
        keep(id, unit, center == null ? null : given != null ? given : planes.sketch(unit, center), false);
    }

    /**
     * Sets the centre the hyperplanes pass through before anything is kept, which skips the warm-up (the first
     * kept vectors compared exhaustively to find the centre). Ignored once there is a centre or a kept vector.
     */
    public void useCenter(float[] center) throws Exception {
        if (center.length != planes.dimension()) {
            throw new IllegalArgumentException(
                    "centre has " + center.length + " dimensions, expected " + planes.dimension());
        }
        if (store.center() == null && store.handles() == 0) {
            store.setCenter(center.clone());
        }
    }

    /** The hyperplanes (immutable). */
    public Hyperplanes planes() {
        return planes;
    }

    /** Vectors compared so far. */
    public long comparisons() {
        return comparisons;
    }

    /**
     * Bucket entries passed over so far without a comparison, because nearer signatures filled the limit (a leader
     * in several probed buckets counts once per bucket, less once if it was compared).
     */
    public long screened() {
        return screened;
    }

    /** Leaders pushed out of a full bucket so far. */
    public long evictions() {
        return evictions;
    }

    private Match exhaustive(float[] unit) throws Exception {
        long n = store.handles();
        Leader bestLeader = null;
        float best = -2f;
        for (long h = 0; h < n; h++) {
            Leader l = store.leader(h);
            if (l == null) {
                continue;
            }
            float s = l.dot(unit);
            comparisons++;
            if (s > best) {
                best = s;
                bestLeader = l;
            }
        }
        return match(bestLeader, best);
    }

    /**
     * The candidates are the leaders in the probed buckets. Each bucket entry carries 32 bits of its leader's
     * signature, so
     * the candidates are ranked by Hamming distance first, and only the {@code compared} nearest are read and
     * compared by their vectors: the work per item stays bounded when buckets are full.
     *
     * <p>Which candidates those are: every leader at a distance under the cutoff, the smallest distance with {@code
     * compared} leaders at or under it, and of those at the cutoff the first ones met. Buckets hold thousands of
     * entries at a million vectors, most of them far, and a leader may sit in several probed buckets; so the
     * distances of all entries are taken first (a leader counted once per bucket, which can only put the cutoff
     * lower), and only the entries at or under that bound are looked up among the leaders met, the bound raised
     * until enough distinct leaders are in. The same leaders as ranking every distinct leader, at a fraction of the
     * set lookups.
     */
    private Match probe(float[] unit, Hyperplanes.Sketch sketch) throws Exception {
        seen.clear();
        candidates.clear();
        int[] fragments = planes.fragments(sketch.signature());
        int[] byDistance = entryHistogram;
        Arrays.fill(byDistance, 0);
        int buckets = 0;
        int entries = 0;
        for (long key : sketch.probeKeys()) {
            long[] bucket = store.bucket(key);
            if (bucket == null) {
                continue;
            }
            if (buckets == probed.length) {
                probed = Arrays.copyOf(probed, buckets * 2);
            }
            probed[buckets++] = bucket;
            if (distances.length < entries + bucket.length) {
                distances = Arrays.copyOf(distances, Math.max(distances.length * 2, entries + bucket.length));
            }
            long fragment = fragments[planes.table(key)] & FRAGMENT_MASK;
            for (long entry : bucket) {
                int d = Long.bitCount((entry ^ fragment) & FRAGMENT_MASK);
                distances[entries++] = d;
                byDistance[d]++;
            }
        }
        int limit = params.compared();
        int bound = 0;
        for (int sum = byDistance[0]; sum < limit && bound < byDistance.length - 1; ) {
            sum += byDistance[++bound];
        }
        for (int from = 0; ; from = ++bound) {
            // The entries at distances from..bound, each leader once, in the order the buckets were probed.
            int at = 0;
            for (int b = 0; b < buckets; b++) {
                for (long entry : probed[b]) {
                    int d = distances[at++];
                    if (d >= from && d <= bound && seen.add(entry >>> 32)) {
                        candidates.add(entry >>> 32, d);
                    }
                }
            }
            if (candidates.size >= limit || bound == byDistance.length - 1) {
                break;
            }
        }
        int cutoff = candidates.cutoff(limit);
        int belowCutoff = candidates.countBelow(cutoff);
        int atCutoff = limit - belowCutoff; // ties at the cutoff are taken in visiting order
        Leader bestLeader = null;
        long bestHandle = Long.MAX_VALUE;
        float best = -2f;
        long comparedBefore = comparisons;
        for (int c = 0; c < candidates.size; c++) {
            int d = candidates.distances[c];
            if (d > cutoff || (d == cutoff && atCutoff-- <= 0)) {
                continue;
            }
            long h = candidates.handles[c];
            Leader l = store.leader(h);
            if (l == null) {
                continue; // expired
            }
            float s = l.dot(unit);
            comparisons++;
            if (s > best || (s == best && h < bestHandle)) {
                best = s;
                bestLeader = l;
                bestHandle = h;
            }
        }
        screened += entries - (comparisons - comparedBefore);
        return match(bestLeader, best);
    }

    private Match match(Leader leader, float similarity) {
        return leader != null && similarity >= params.threshold()
                ? new Match(leader.id, clamp(similarity), leader.replica)
                : null;
    }

    private void keep(String id, float[] unit, Hyperplanes.Sketch sketch, boolean replica) throws Exception {
        long handle = store.handles();
        store.putLeader(handle, Leader.of(id, unit, replica));
        store.setHandles(handle + 1);
        if (sketch != null) {
            file(handle, sketch);
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
                float[] v = l.decode();
                for (int j = 0; j < center.length; j++) {
                    center[j] += v[j];
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
                file(h, planes.sketch(l.decode(), center));
            }
        }
    }

    /**
     * Files a leader in its bucket of every table, oldest entries first. An entry is one long: the handle in the
     * upper half, the leader's {@linkplain Hyperplanes#fragment signature fragment} for that table in the lower.
     */
    private void file(long handle, Hyperplanes.Sketch sketch) throws Exception {
        if (handle > Integer.MAX_VALUE) {
            throw new IllegalStateException("a near-duplicate partition holds at most 2^31 kept vectors");
        }
        int[] fragments = planes.fragments(sketch.signature());
        int capacity = params.bucketCapacity();
        for (long key : sketch.homeKeys()) {
            long[] bucket = store.bucket(key);
            long[] grown;
            if (bucket == null) {
                grown = new long[1];
            } else if (bucket.length < capacity) {
                grown = Arrays.copyOf(bucket, bucket.length + 1);
            } else {
                int drop = bucket.length - capacity + 1;
                evictions += drop;
                grown = new long[capacity];
                System.arraycopy(bucket, drop, grown, 0, capacity - 1);
            }
            grown[grown.length - 1] = entry(handle, fragments[planes.table(key)]);
            store.putBucket(key, grown);
        }
    }

    /** A bucket entry: a handle and a signature fragment. */
    static long entry(long handle, int fragment) {
        return (handle << 32) | (fragment & FRAGMENT_MASK);
    }

    /** The vector scaled to length 1, or null for a zero or non-finite vector. */
    public static float[] unit(float[] v) {
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

    /** Dot product (SIMD where the JVM has the Vector API). */
    static float dot(float[] a, float[] b) {
        return KERNEL.dot(a, 0, b, 0, a.length);
    }

    private static float clamp(float s) {
        return Math.min(1f, s);
    }

    /** The candidates of one item with their signature distances, and a histogram of the distances. */
    private static final class Candidates {
        long[] handles = new long[1024];
        int[] distances = new int[1024];
        int size;
        private final int[] histogram;

        Candidates(int bits) {
            histogram = new int[bits + 1];
        }

        void clear() {
            if (size > 0) {
                Arrays.fill(histogram, 0);
                size = 0;
            }
        }

        void add(long handle, int distance) {
            if (size == handles.length) {
                handles = Arrays.copyOf(handles, size * 2);
                distances = Arrays.copyOf(distances, size * 2);
            }
            handles[size] = handle;
            distances[size] = distance;
            histogram[distance]++;
            size++;
        }

        /** The smallest distance d with at least {@code limit} candidates at d or nearer (the farthest if fewer). */
        int cutoff(int limit) {
            int sum = 0;
            for (int d = 0; d < histogram.length; d++) {
                sum += histogram[d];
                if (sum >= limit) {
                    return d;
                }
            }
            return histogram.length - 1;
        }

        int countBelow(int distance) {
            int sum = 0;
            for (int d = 0; d < distance; d++) {
                sum += histogram[d];
            }
            return sum;
        }
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
