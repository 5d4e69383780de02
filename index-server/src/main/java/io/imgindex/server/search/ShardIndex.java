package io.imgindex.server.search;

import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.util.Bits;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;
import io.imgindex.format.IndexColumns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * One shard in memory: its rows as arrays ({@link IndexColumns}), its metadata by column, and, when built, an
 * HNSW graph over its vectors. Searches by exact scan or through the graph, with an optional filter.
 *
 * <p>Immutable once built and thread-safe: graph searchers are pooled, one per concurrent search.
 */
public final class ShardIndex {

    private static final VectorTypeSupport VECTORS =
            VectorizationProvider.getInstance().getVectorTypeSupport();

    /** Below this many matching rows (or this share of the shard), a filtered search scans the matches. */
    static final int FILTER_SCAN_ROWS = 10_000;

    static final double FILTER_SCAN_SHARE = 0.05;

    private final int shard;
    private final IndexColumns rows;
    private final int dimension;
    private final Map<String, String[]> texts;
    private final Map<String, double[]> numbers;
    private final ImmutableGraphIndex graph;
    private final ConcurrentLinkedQueue<GraphSearcher> searchers = new ConcurrentLinkedQueue<>();

    private ShardIndex(int shard, IndexColumns rows, ImmutableGraphIndex graph) {
        this.shard = shard;
        this.rows = rows;
        this.dimension = rows.dimension;
        this.graph = graph;
        this.texts = new HashMap<>();
        this.numbers = new HashMap<>();
        indexMetadata();
    }

    /**
     * Builds a shard's index.
     *
     * @param hnsw the graph's parameters, or null for exact search only
     */
    public static ShardIndex build(int shard, IndexColumns rows, HnswParams hnsw) {
        ImmutableGraphIndex graph = null;
        if (hnsw != null && rows.size() > 0) {
            ArrayVectors vectors = new ArrayVectors(rows.vectors(), rows.dimension, rows.size());
            BuildScoreProvider scores =
                    BuildScoreProvider.randomAccessScoreProvider(vectors, VectorSimilarityFunction.DOT_PRODUCT);
            try (GraphIndexBuilder builder = new GraphIndexBuilder(
                    scores,
                    rows.dimension,
                    hnsw.m(),
                    hnsw.efConstruction(),
                    hnsw.neighborOverflow(),
                    hnsw.alpha(),
                    true)) {
                graph = builder.build(vectors);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new ShardIndex(shard, rows, graph);
    }

    private void indexMetadata() {
        int n = rows.size();
        for (int i = 0; i < n; i++) {
            for (Map.Entry<String, String> e : rows.metadata(i).entrySet()) {
                texts.computeIfAbsent(e.getKey(), k -> new String[n])[i] = e.getValue();
            }
        }
        for (Map.Entry<String, String[]> column : texts.entrySet()) {
            double[] parsed = new double[n];
            boolean any = false;
            for (int i = 0; i < n; i++) {
                parsed[i] = parse(column.getValue()[i]);
                any |= !Double.isNaN(parsed[i]);
            }
            if (any) {
                numbers.put(column.getKey(), parsed);
            }
        }
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

    public int shard() {
        return shard;
    }

    public int size() {
        return rows.size();
    }

    public IndexColumns rows() {
        return rows;
    }

    public boolean hasGraph() {
        return graph != null;
    }

    /** The text values of a metadata column, or null if no row has it. */
    String[] textColumn(String key) {
        return texts.get(key);
    }

    /** The numeric values of a metadata column (NaN where not a number), or null if none is numeric. */
    double[] numberColumn(String key) {
        return numbers.get(key);
    }

    /** The vector of a row (a copy). */
    public float[] vector(int ord) {
        float[] v = new float[dimension];
        System.arraycopy(rows.vectors(), ord * dimension, v, 0, dimension);
        return v;
    }

    /** Exact top-k: a scan of every row (that passes the filter). */
    public List<TopK.Entry> exact(float[] query, int k, BitSet accept) {
        TopK top = new TopK(k);
        float[] data = rows.vectors();
        if (accept == null) {
            for (int i = 0, n = rows.size(); i < n; i++) {
                top.offer(i, VectorMath.dot(query, data, i * dimension));
            }
        } else {
            for (int i = accept.nextSetBit(0); i >= 0; i = accept.nextSetBit(i + 1)) {
                top.offer(i, VectorMath.dot(query, data, i * dimension));
            }
        }
        return top.sorted(shard);
    }

    /**
     * Approximate top-k through the graph. A filter that lets few rows through is answered by scanning them,
     * which is exact and, at that selectivity, faster than walking a graph mostly made of rejected nodes.
     */
    public List<TopK.Entry> approximate(float[] query, int k, int ef, BitSet accept) {
        if (graph == null) {
            return exact(query, k, accept);
        }
        if (accept != null) {
            int passing = accept.cardinality();
            if (passing <= FILTER_SCAN_ROWS || passing < FILTER_SCAN_SHARE * rows.size()) {
                return exact(query, k, accept);
            }
        }
        GraphSearcher searcher = searchers.poll();
        if (searcher == null) {
            searcher = new GraphSearcher(graph);
        }
        try {
            ArrayVectors vectors = new ArrayVectors(rows.vectors(), dimension, rows.size());
            VectorFloat<?> q = VECTORS.createFloatVector(query);
            Bits bits = accept == null ? Bits.ALL : accept::get;
            SearchResult result = searcher.search(
                    DefaultSearchScoreProvider.exact(q, VectorSimilarityFunction.DOT_PRODUCT, vectors),
                    Math.min(k, rows.size()),
                    Math.max(ef, k),
                    0f,
                    0f,
                    bits);
            // JVector scores dot products as (1 + dot) / 2; report the dot product itself, as exact search does.
            TopK top = new TopK(k);
            for (SearchResult.NodeScore ns : result.getNodes()) {
                top.offer(ns.node, VectorMath.dot(query, rows.vectors(), ns.node * dimension));
            }
            return top.sorted(shard);
        } finally {
            searchers.offer(searcher);
        }
    }

    /**
     * The shard's vectors for JVector, without copying the array: {@link #getVector} copies one row into a buffer
     * owned by this instance (values are shared, so JVector makes one instance per thread).
     */
    static final class ArrayVectors implements RandomAccessVectorValues {
        private final float[] data;
        private final int dimension;
        private final int size;
        private final float[] buffer;
        private final VectorFloat<?> view;

        ArrayVectors(float[] data, int dimension, int size) {
            this.data = data;
            this.dimension = dimension;
            this.size = size;
            this.buffer = new float[dimension];
            this.view = VECTORS.createFloatVector(buffer);
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public int dimension() {
            return dimension;
        }

        @Override
        public VectorFloat<?> getVector(int node) {
            System.arraycopy(data, node * dimension, buffer, 0, dimension);
            return view;
        }

        @Override
        public boolean isValueShared() {
            return true;
        }

        @Override
        public RandomAccessVectorValues copy() {
            return new ArrayVectors(data, dimension, size);
        }
    }
}
