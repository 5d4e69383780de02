package io.imgindex.server.search;

import io.imgindex.format.IndexColumns;
import java.io.IOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/**
 * One shard of a loaded generation: its segments, searched one after the other and merged. A shard's ordinals run
 * over its segments in order (segment {@code s}'s row {@code i} is {@code start(s) + i}); they are valid for this
 * instance only, as a new generation may list other segments.
 *
 * <p>Immutable and thread-safe.
 */
public final class ShardIndex {

    /** Below this many matching rows (or this share of the shard), a filtered search scans the matches. */
    static final int FILTER_SCAN_ROWS = 10_000;

    static final double FILTER_SCAN_SHARE = 0.05;

    private final int shard;
    private final List<Segment> segments;
    private final int[] starts;
    private final int size;
    private final ShardRows rows;

    private ShardIndex(int shard, List<Segment> segments) {
        this.shard = shard;
        this.segments = List.copyOf(segments);
        this.starts = new int[segments.size() + 1];
        long total = 0;
        for (int s = 0; s < segments.size(); s++) {
            starts[s] = (int) total;
            total += segments.get(s).size();
            if (total > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shard " + shard + " has more than 2^31 rows; use more shards");
            }
        }
        starts[segments.size()] = (int) total;
        this.size = (int) total;
        this.rows = new ShardRows();
    }

    /** A shard made of segments (format version 2). */
    public static ShardIndex of(int shard, List<Segment> segments) {
        return new ShardIndex(shard, segments);
    }

    /**
     * A shard held whole on the heap (format version 1), its graph built now.
     *
     * @param hnsw the graph's parameters, or null for exact search only
     */
    public static ShardIndex build(int shard, IndexColumns rows, HnswParams hnsw) {
        return new ShardIndex(shard, List.of(HeapSegment.build("shard=" + shard, rows, hnsw)));
    }

    public int shard() {
        return shard;
    }

    public int size() {
        return size;
    }

    public List<Segment> segments() {
        return segments;
    }

    /** The first shard ordinal of segment {@code s}. */
    public int start(int s) {
        return starts[s];
    }

    /** The rows, by shard ordinal. */
    public ShardRows rows() {
        return rows;
    }

    public boolean hasGraph() {
        return segments.stream().anyMatch(Segment::hasGraph);
    }

    /** The shard ordinal of an id, or -1. */
    public int find(String id) {
        for (int s = segments.size() - 1; s >= 0; s--) {
            int ord = segments.get(s).ordinal(id);
            if (ord >= 0) {
                return starts[s] + ord;
            }
        }
        return -1;
    }

    /** The vector of a row (a copy). */
    public float[] vector(int ord) {
        int s = segmentOf(ord);
        return segments.get(s).vector(ord - starts[s]);
    }

    /** Whether a row's segment has thumbnails. */
    public boolean hasThumbnail(int ord) {
        return segments.get(segmentOf(ord)).hasThumbnails();
    }

    /** A row's thumbnail (a JPEG), or null when it has none. */
    public byte[] thumbnail(int ord) throws IOException {
        int s = segmentOf(ord);
        return segments.get(s).thumbnail(ord - starts[s]);
    }

    private int segmentOf(int ord) {
        int lo = 0;
        int hi = segments.size() - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= ord) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** Exact top-k: a scan of every row (that passes the filter). */
    public List<TopK.Entry> exact(float[] query, int k, BitSet accept) throws InterruptedException {
        return search(query, k, 0, accept, true);
    }

    /**
     * Exact top-k of several queries: each segment is scanned in passes that answer up to 16 of them at once.
     *
     * @param accepts per query, the shard's rows it may return, or null for all
     */
    public List<List<TopK.Entry>> exactAll(float[][] queries, int[] ks, BitSet[] accepts) throws InterruptedException {
        TopK[] tops = new TopK[queries.length];
        for (int i = 0; i < queries.length; i++) {
            tops[i] = new TopK(ks[i]);
        }
        for (int s = 0; s < segments.size(); s++) {
            BitSet[] local = new BitSet[accepts.length];
            for (int i = 0; i < accepts.length; i++) {
                local[i] = accepts[i] == null ? null : accepts[i].get(starts[s], starts[s + 1]);
            }
            List<TopK> parts = segments.get(s).exactAll(queries, ks, local);
            int base = starts[s];
            for (int i = 0; i < queries.length; i++) {
                for (TopK.Entry e : parts.get(i).sorted(shard)) {
                    tops[i].offer(base + e.ord(), e.score());
                }
            }
        }
        List<List<TopK.Entry>> out = new ArrayList<>(queries.length);
        for (TopK top : tops) {
            out.add(top.sorted(shard));
        }
        return out;
    }

    /**
     * Approximate top-k through the segments' graphs. A filter that lets few rows through is answered by scanning
     * them, which is exact and, at that selectivity, faster than walking a graph mostly made of rejected nodes.
     */
    public List<TopK.Entry> approximate(float[] query, int k, int ef, BitSet accept) throws InterruptedException {
        boolean exact = false;
        if (accept != null) {
            int passing = accept.cardinality();
            exact = passing <= FILTER_SCAN_ROWS || passing < FILTER_SCAN_SHARE * size;
        }
        return search(query, k, ef, accept, exact);
    }

    private List<TopK.Entry> search(float[] query, int k, int ef, BitSet accept, boolean exact)
            throws InterruptedException {
        TopK top = new TopK(k);
        for (int s = 0; s < segments.size(); s++) {
            Segment segment = segments.get(s);
            BitSet local = accept == null ? null : accept.get(starts[s], starts[s + 1]);
            if (local != null && local.isEmpty()) {
                continue;
            }
            TopK part = exact ? segment.exact(query, k, local) : segment.approximate(query, k, ef, local);
            int base = starts[s];
            for (TopK.Entry e : part.sorted(shard)) {
                top.offer(base + e.ord(), e.score());
            }
        }
        return top.sorted(shard);
    }

    /** A shard's rows by shard ordinal, over its segments. */
    public final class ShardRows {

        private IndexColumns at(int ord) {
            return segments.get(segmentOf(ord)).rows();
        }

        private int local(int ord) {
            return ord - starts[segmentOf(ord)];
        }

        public String id(int ord) {
            return at(ord).id(local(ord));
        }

        public String url(int ord) {
            return at(ord).url(local(ord));
        }

        public int width(int ord) {
            return at(ord).width(local(ord));
        }

        public int height(int ord) {
            return at(ord).height(local(ord));
        }

        public String format(int ord) {
            return at(ord).format(local(ord));
        }

        public long bytes(int ord) {
            return at(ord).bytes(local(ord));
        }

        public String sha256(int ord) {
            return at(ord).sha256(local(ord));
        }

        public long ingestedAtMillis(int ord) {
            return at(ord).ingestedAtMillis(local(ord));
        }

        public String source(int ord) {
            return at(ord).source(local(ord));
        }

        public Map<String, String> metadata(int ord) {
            return at(ord).metadata(local(ord));
        }

        /** Every metadata key of the shard's rows. */
        public List<String> metadataKeys() {
            List<String> keys = new ArrayList<>();
            for (Segment s : segments) {
                for (String k : s.rows().metadataKeys()) {
                    if (!keys.contains(k)) {
                        keys.add(k);
                    }
                }
            }
            return keys;
        }
    }
}
