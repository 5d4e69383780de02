package io.imgindex.server.search;

import io.imgindex.format.IndexColumns;
import java.io.IOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A searchable slice of a shard: its rows (ids, URLs, metadata) on the heap, its vectors (on the heap for a format
 * version 1 shard, mapped for a segment), and a graph over them unless it is served exact only. Ordinals are the
 * segment's own, {@code 0..size()-1}. Immutable and thread-safe; a segment is shared by every loaded generation
 * that lists it.
 */
public interface Segment {

    /** The segment's id (format version 2), or {@code shard=<k>} for a version 1 shard. */
    String id();

    int size();

    /** The rows, without their vectors for a mapped segment. */
    IndexColumns rows();

    /** The ordinal of an id, or -1. */
    int ordinal(String id);

    /** A copy of a row's vector. */
    float[] vector(int ord);

    boolean hasGraph();

    /** Whether the segment came with thumbnails (a row may still have none). */
    default boolean hasThumbnails() {
        return false;
    }

    /** A row's thumbnail (a JPEG), or null when it has none. */
    default byte[] thumbnail(int ord) throws IOException {
        return null;
    }

    /** Exact top-k, among the rows {@code accept} lets through if given. */
    TopK exact(float[] query, int k, BitSet accept) throws InterruptedException;

    /**
     * Exact top-k of several queries, in passes over the vectors that each answer up to 16 of them (a pass is bound
     * by memory bandwidth, so it costs about what one query's scan does).
     *
     * @param accepts per query, the rows it may return, or null for all
     */
    List<TopK> exactAll(float[][] queries, int[] ks, BitSet[] accepts) throws InterruptedException;

    /**
     * Approximate top-k through the graph (exact when there is none), scored by the exact dot product.
     *
     * @param ef the candidates a walk of a segment of {@link #EF_REFERENCE_ROWS} rows keeps; a larger segment
     *     keeps more ({@link #efFor})
     */
    TopK approximate(float[] query, int k, int ef, BitSet accept) throws InterruptedException;

    /** The segment size a query's {@code ef} is meant for. */
    int EF_REFERENCE_ROWS = 50_000;

    /**
     * The candidates a walk of a segment of {@code rows} keeps for a query's {@code ef}: {@code ef} up to {@link
     * #EF_REFERENCE_ROWS} rows, then {@code ef × sqrt(rows / EF_REFERENCE_ROWS)}. A graph's recall at a fixed ef
     * falls as it grows (recall@10 at ef 100 on 512-d clustered vectors: 0.996 for segments of 50,000 rows, 0.936
     * for one of 200,000, 0.817 for one of 1,020,000), so one large segment should not answer worse than the same
     * rows in several small ones.
     */
    static int efFor(int ef, int rows) {
        if (rows <= EF_REFERENCE_ROWS) {
            return ef;
        }
        return (int) Math.min(Integer.MAX_VALUE / 8, Math.ceil(ef * Math.sqrt((double) rows / EF_REFERENCE_ROWS)));
    }

    /** A metadata column parsed as numbers (NaN where a row has none or it is not a number), or null. */
    double[] numberColumn(String key);

    /** Bytes this segment holds on the heap, estimated: what a server pays per loaded segment. */
    long heapBytes();

    /** What the segment maps from disk (its full vectors and graph), in bytes. */
    long mappedBytes();

    /** Numbers of the metadata columns that have any; computed once. */
    static Map<String, double[]> numbers(IndexColumns rows) {
        Map<String, double[]> numbers = new HashMap<>();
        int n = rows.size();
        for (String key : rows.metadataKeys()) {
            String[] texts = rows.metadataColumn(key);
            double[] parsed = new double[n];
            boolean any = false;
            for (int i = 0; i < n; i++) {
                parsed[i] = parse(texts[i]);
                any |= !Double.isNaN(parsed[i]);
            }
            if (any) {
                numbers.put(key, parsed);
            }
        }
        return numbers;
    }

    private static double parse(String v) {
        if (v == null || v.isEmpty() || v.length() > 40) {
            return Double.NaN;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            return Double.NaN;
        }
    }

    /** An id to ordinal map for a segment's rows. */
    static Map<String, Integer> ordinals(IndexColumns rows) {
        Map<String, Integer> ords = new HashMap<>(Math.max(16, rows.size() * 4 / 3 + 1));
        for (int i = 0; i < rows.size(); i++) {
            ords.put(rows.id(i), i);
        }
        return ords;
    }
}
