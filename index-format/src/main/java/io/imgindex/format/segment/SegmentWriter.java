package io.imgindex.format.segment;

import io.github.jbellis.jvector.disk.BufferedRandomAccessWriter;
import io.github.jbellis.jvector.graph.GraphIndexBuilder;
import io.github.jbellis.jvector.graph.ImmutableGraphIndex;
import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.graph.disk.OnDiskGraphIndexWriter;
import io.github.jbellis.jvector.graph.disk.OrdinalMapper;
import io.github.jbellis.jvector.graph.disk.feature.Feature;
import io.github.jbellis.jvector.graph.disk.feature.FeatureId;
import io.github.jbellis.jvector.graph.disk.feature.InlineVectors;
import io.github.jbellis.jvector.graph.disk.feature.SeparatedVectors;
import io.github.jbellis.jvector.graph.similarity.BuildScoreProvider;
import io.github.jbellis.jvector.quantization.PQVectors;
import io.github.jbellis.jvector.quantization.ProductQuantization;
import io.github.jbellis.jvector.vector.VectorSimilarityFunction;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Sha256;
import io.imgindex.format.Table;
import io.imgindex.format.TableWriter;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.function.IntFunction;

/**
 * Writes one segment: its rows as Parquet as they come, its vectors to a local spool, and, when it is finished,
 * the graph built over them, once, here rather than in every server. The files:
 *
 * <ul>
 *   <li>{@value #ROWS_FILE}: the index table's rows, schema of {@link IndexRow} (vectors included, for any Parquet
 *       reader); row {@code i} is graph node {@code i};
 *   <li>{@value #GRAPH_FILE}: a JVector on-disk graph (format 6) whose one feature is the full-precision vectors
 *       stored apart from the adjacency lists ({@code SEPARATED_VECTORS}, big-endian float32, contiguous): servers
 *       map it and read the vectors for exact scans and re-ranking straight from it;
 *   <li>{@value #PQ_FILE}, when the graph walk scores compressed vectors: JVector's product quantization (its
 *       codebooks, then one code per row), loaded into a server's heap ({@code pqSubspaces} bytes per row);
 *   <li>{@value #THUMBNAILS_FILE}, when rows came with thumbnails: a {@link ThumbnailPack}, row by row.
 * </ul>
 *
 * Memory: the rows stream to Parquet, the vectors to disk; the graph being built is on the heap (about 50 bytes per
 * node and neighbour at M 16). Not thread-safe.
 */
public final class SegmentWriter implements Closeable {

    public static final String ROWS_FILE = "rows.parquet";
    public static final String GRAPH_FILE = "graph.jvg";
    public static final String PQ_FILE = "pq.bin";
    public static final String THUMBNAILS_FILE = "thumbnails.bin";

    /**
     * Below this many rows the graph walk scores full vectors: product quantization needs 256 centroids per
     * subspace, trained on enough rows, and a small segment's full vectors are a few MB anyway.
     */
    public static final int PQ_MIN_ROWS = 4096;

    /** Rows PQ is trained on (a sample of a larger segment): k-means over more costs time and gains little. */
    static final int PQ_TRAINING_ROWS = 20_000;

    /** What {@link #finish} wrote: the manifest's entries for the segment and its files. */
    public record Written(SegmentInfo info, List<ManifestFile> files) {}

    private final SegmentOutput out;
    private final String id;
    private final int shard;
    private final ModelInfo model;
    private final GraphParams params;
    private final Path tmp;
    private final int threads;
    private final String dir;
    private final TableWriter<IndexRow> rows;
    private final VectorSpool spool;
    private final ThumbnailPack.Writer thumbnails;
    private boolean done;

    private SegmentWriter(
            SegmentOutput out, String id, int shard, ModelInfo model, GraphParams params, Path tmpDir, int threads)
            throws IOException {
        this.out = out;
        this.id = SegmentInfo.checkId(id);
        this.shard = shard;
        this.model = model;
        this.params = params;
        this.threads = Math.max(1, threads);
        this.dir = IndexLayout.segmentDir(shard, id);
        Files.createDirectories(tmpDir);
        this.tmp = Files.createTempDirectory(tmpDir, "segment-" + id + "-");
        this.rows = TableWriter.index(
                out.create(dir + "/" + ROWS_FILE), IndexLayout.INDEX_ROOT_PREFIX + dir + "/" + ROWS_FILE, shard);
        this.spool = new VectorSpool(tmp.resolve("vectors.f32"), model.dimension());
        this.thumbnails = new ThumbnailPack.Writer(tmp.resolve("thumbnails.spool"));
    }

    /**
     * Starts a segment.
     *
     * @param tmpDir a local folder for the vector spool and the graph before it is uploaded
     * @param threads threads that build the graph
     */
    public static SegmentWriter open(
            SegmentOutput out, String id, int shard, ModelInfo model, GraphParams params, Path tmpDir, int threads)
            throws IOException {
        return new SegmentWriter(out, id, shard, model, params, tmpDir, threads);
    }

    public String id() {
        return id;
    }

    public void write(IndexRow row) throws IOException {
        write(row, null);
    }

    /** A row and its thumbnail (null: none). */
    public void write(IndexRow row, byte[] thumbnail) throws IOException {
        spool.add(row.vector());
        rows.write(row);
        thumbnails.add(thumbnail);
    }

    public long rows() {
        return spool.rows();
    }

    public long estimatedSize() {
        return rows.estimatedSize();
    }

    /** Finishes the rows, builds and writes the graph, publishes every file. */
    public Written finish() throws IOException {
        done = true;
        try {
            List<ManifestFile> files = new ArrayList<>();
            files.add(rows.finish().inSegment(id, ManifestFile.ROWS));
            out.publish(dir + "/" + ROWS_FILE);
            long n = spool.rows();
            MappedFloats vectors = spool.map();
            long start = System.nanoTime();
            GraphParams used = n >= PQ_MIN_ROWS ? params : params.withPqSubspaces(0);
            Path graphFile = tmp.resolve(GRAPH_FILE);
            Path pqFile = tmp.resolve(PQ_FILE);
            ForkJoinPool pool = new ForkJoinPool(threads);
            try {
                buildGraph(vectors, used, similarity(model), graphFile, pool);
                if (used.compressed()) {
                    writePq(vectors, used.pqSubspaces(), pqFile, pool);
                }
            } finally {
                pool.shutdownNow();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;
            files.add(upload(graphFile, GRAPH_FILE, ManifestFile.GRAPH, n));
            if (used.compressed()) {
                files.add(upload(pqFile, PQ_FILE, ManifestFile.PQ, n));
            }
            if (thumbnails.present() > 0) {
                Path pack = tmp.resolve(THUMBNAILS_FILE);
                try (OutputStream o = Files.newOutputStream(pack)) {
                    thumbnails.writeTo(o);
                }
                files.add(upload(pack, THUMBNAILS_FILE, ManifestFile.THUMBNAILS, n));
            }
            return new Written(new SegmentInfo(id, shard, n, used, millis), files);
        } finally {
            cleanUp();
        }
    }

    /** Gives the segment up: nothing is published, local files are removed. */
    public void abandon() {
        done = true;
        try {
            rows.close();
        } catch (IOException | RuntimeException e) {
            // The rows file is in progress and never published; nothing lists it.
        }
        out.discard(dir + "/" + ROWS_FILE);
        cleanUp();
    }

    @Override
    public void close() {
        if (!done) {
            abandon();
        }
    }

    private void cleanUp() {
        try {
            spool.close();
            thumbnails.close();
            try (var files = Files.list(tmp)) {
                for (Path p : files.toList()) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(tmp);
        } catch (IOException e) {
            // A temporary folder left in the task's tmp dir; it is named after the segment.
        }
    }

    private ManifestFile upload(Path local, String name, String kind, long n) throws IOException {
        String rel = dir + "/" + name;
        MessageDigest sha = Sha256.newDigest();
        try (InputStream in = Files.newInputStream(local);
                OutputStream o = new DigestOutputStream(out.create(rel), sha)) {
            in.transferTo(o);
        }
        out.publish(rel);
        return new ManifestFile(
                IndexLayout.INDEX_ROOT_PREFIX + rel,
                Table.INDEX.dirName(),
                shard,
                n,
                Files.size(local),
                Sha256.hex(sha),
                id,
                kind);
    }

    /** The similarity JVector builds and searches with for a model's metric. */
    public static VectorSimilarityFunction similarity(ModelInfo model) {
        return switch (model.metric()) {
                // Unit vectors: cosine is the dot product.
            case ModelInfo.COSINE, ModelInfo.DOT -> VectorSimilarityFunction.DOT_PRODUCT;
            default -> throw new IllegalArgumentException("no graph for metric " + model.metric());
        };
    }

    /**
     * Builds the graph over {@code vectors} with exact scores (the graph's quality does not depend on the
     * compression) and writes it with the vectors as a separate contiguous block. Node {@code i} is row {@code i}.
     */
    static void buildGraph(
            MappedFloats vectors, GraphParams p, VectorSimilarityFunction vsf, Path file, ForkJoinPool pool)
            throws IOException {
        RandomAccessVectorValues ravv = new MappedVectorValues(vectors);
        int dimension = vectors.dimension();
        ImmutableGraphIndex graph;
        @SuppressWarnings("deprecation") // the non-deprecated builder cannot set the executors and the hierarchy
        GraphIndexBuilder builder = new GraphIndexBuilder(
                BuildScoreProvider.randomAccessScoreProvider(ravv, vsf),
                dimension,
                p.maxDegree(),
                p.beamWidth(),
                p.neighborOverflow(),
                p.alpha(),
                p.hierarchy(),
                true,
                pool,
                pool);
        try (builder) {
            graph = builder.build(ravv);
            Files.deleteIfExists(file); // JVector's writer does not truncate
            RandomAccessVectorValues forWriter = ravv.copy();
            try (OnDiskGraphIndexWriter w = new OnDiskGraphIndexWriter.Builder(graph, file)
                    .with(new SeparatedVectors(dimension, 0L))
                    .withMapper(new OrdinalMapper.IdentityMapper(Math.max(0, graph.getIdUpperBound() - 1)))
                    .build()) {
                Map<FeatureId, IntFunction<Feature.State>> state = new EnumMap<>(FeatureId.class);
                state.put(FeatureId.SEPARATED_VECTORS, o -> new InlineVectors.State(forWriter.getVector(o)));
                w.write(state);
            }
        }
    }

    /** Trains PQ on a sample of the rows, encodes every row, writes JVector's PQ vectors file. */
    static void writePq(MappedFloats vectors, int subspaces, Path file, ForkJoinPool pool) throws IOException {
        RandomAccessVectorValues all = new MappedVectorValues(vectors);
        RandomAccessVectorValues sample = MappedVectorValues.sample(vectors, PQ_TRAINING_ROWS);
        ProductQuantization pq = ProductQuantization.compute(sample, subspaces, 256, false, -1f, pool, pool);
        PQVectors codes = pq.encodeAll(all, pool);
        Files.deleteIfExists(file);
        try (BufferedRandomAccessWriter w = new BufferedRandomAccessWriter(file)) {
            codes.write(w);
        }
    }
}
