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
import io.imgindex.vectors.DotKernel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A format version 1 shard held whole on the heap: its rows and vectors as read from its Parquet files, and an HNSW
 * graph built when it is loaded (version 1 generations carry no graph). Version 2 segments are mapped instead
 * ({@link MappedSegment}).
 */
public final class HeapSegment implements Segment {

    private static final VectorTypeSupport VECTORS =
            VectorizationProvider.getInstance().getVectorTypeSupport();

    private final String id;
    private final IndexColumns rows;
    private final int dimension;
    private final ImmutableGraphIndex graph;
    private final Map<String, Integer> ordinals;
    private final Map<String, double[]> numbers;
    private final ExactScanner scanner;
    private final DotKernel kernel = DotKernel.best();
    private final ConcurrentLinkedQueue<GraphSearcher> searchers = new ConcurrentLinkedQueue<>();

    private HeapSegment(String id, IndexColumns rows, ImmutableGraphIndex graph) {
        this.id = id;
        this.rows = rows;
        this.dimension = rows.dimension;
        this.graph = graph;
        this.ordinals = Segment.ordinals(rows);
        this.numbers = Segment.numbers(rows);
        float[] data = rows.vectors();
        int n = rows.size();
        this.scanner = new ExactScanner(
                new ExactScanner.Rows() {
                    @Override
                    public int size() {
                        return n;
                    }

                    @Override
                    public int dimension() {
                        return dimension;
                    }

                    @Override
                    public float dot(DotKernel k, float[] query, int row) {
                        return k.dot(query, 0, data, row * dimension, dimension);
                    }
                },
                kernel);
    }

    /**
     * Holds a shard's rows, building its graph.
     *
     * @param hnsw the graph's parameters, or null for exact search only
     */
    @SuppressWarnings("deprecation") // the constructor version 1 generations were built with; kept for them alone
    public static HeapSegment build(String id, IndexColumns rows, HnswParams hnsw) {
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
        return new HeapSegment(id, rows, graph);
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public int size() {
        return rows.size();
    }

    @Override
    public IndexColumns rows() {
        return rows;
    }

    @Override
    public int ordinal(String rowId) {
        Integer o = ordinals.get(rowId);
        return o == null ? -1 : o;
    }

    @Override
    public float[] vector(int ord) {
        float[] v = new float[dimension];
        System.arraycopy(rows.vectors(), ord * dimension, v, 0, dimension);
        return v;
    }

    @Override
    public boolean hasGraph() {
        return graph != null;
    }

    @Override
    public double[] numberColumn(String key) {
        return numbers.get(key);
    }

    @Override
    public TopK exact(float[] query, int k, BitSet accept) throws InterruptedException {
        return scanner.search(query, k, accept);
    }

    @Override
    public List<TopK> exactAll(float[][] queries, int[] ks, BitSet[] accepts) throws InterruptedException {
        return scanner.searchAll(queries, ks, accepts);
    }

    @Override
    public TopK approximate(float[] query, int k, int ef, BitSet accept) throws InterruptedException {
        if (graph == null) {
            return exact(query, k, accept);
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
                    Math.max(Segment.efFor(ef, size()), k),
                    0f,
                    0f,
                    bits);
            // JVector scores dot products as (1 + dot) / 2; report the dot product itself, as exact search does.
            TopK top = new TopK(k);
            float[] data = rows.vectors();
            for (SearchResult.NodeScore ns : result.getNodes()) {
                top.offer(ns.node, kernel.dot(query, 0, data, ns.node * dimension, dimension));
            }
            return top;
        } finally {
            searchers.offer(searcher);
        }
    }

    @Override
    public long heapBytes() {
        return 4L * rows.vectors().length + 200L * rows.size() + (graph == null ? 0 : graph.ramBytesUsed());
    }

    @Override
    public long mappedBytes() {
        return 0;
    }

    /**
     * The vectors for JVector, without copying the array: {@link #getVector} copies one row into a buffer owned by
     * this instance (values are shared, so JVector makes one instance per thread).
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
