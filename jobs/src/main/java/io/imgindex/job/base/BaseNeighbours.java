package io.imgindex.job.base;

import io.github.jbellis.jvector.graph.GraphSearcher;
import io.github.jbellis.jvector.graph.SearchResult;
import io.github.jbellis.jvector.graph.similarity.DefaultSearchScoreProvider;
import io.github.jbellis.jvector.graph.similarity.ScoreFunction;
import io.github.jbellis.jvector.util.Bits;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Sha256;
import io.imgindex.format.segment.MappedFloats;
import io.imgindex.format.segment.SegmentGraph;
import io.imgindex.output.Generations;
import io.imgindex.vectors.DotKernel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The indexed items of the generation a stream builds on, searchable for the one nearest a new vector: each
 * segment's graph and full vectors, which the job that wrote it built, mapped from local disk (in place for an
 * index on a local folder, else copied once per task manager into its temporary folder and checked against the
 * manifest's SHA-256), and its rows' ids. Opened once per process and generation, shared by the subtasks there;
 * nothing of it is in Flink's state (the generation is immutable).
 */
final class BaseNeighbours {

    private static final Logger LOG = LoggerFactory.getLogger(BaseNeighbours.class);

    /** At or below this many rows a segment is scanned: a scan costs less than a walk (as in the servers). */
    static final int SCAN_ROWS = 2048;

    private static final ConcurrentHashMap<String, BaseNeighbours> OPEN = new ConcurrentHashMap<>();

    /** The nearest item of the base, and its cosine similarity to the query. */
    record Nearest(String id, float similarity) {}

    private record Part(String[] ids, SegmentGraph graph) {}

    private final List<Part> parts;
    private final int dimension;

    private BaseNeighbours(List<Part> parts, int dimension) {
        this.parts = parts;
        this.dimension = dimension;
    }

    /** The base generation {@code generation} of the index at {@code indexRoot}, opened once per process. */
    static BaseNeighbours of(String indexRoot, long generation) throws IOException {
        try {
            return OPEN.computeIfAbsent(indexRoot + "#" + generation, k -> {
                try {
                    return open(new Path(indexRoot), generation);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static BaseNeighbours open(Path root, long generation) throws IOException {
        long start = System.nanoTime();
        Manifest m = Generations.readManifest(Generations.manifestPath(root, generation));
        int dimension = m.model().dimension();
        List<Part> parts = new ArrayList<>();
        long rows = 0;
        for (SegmentInfo s : m.segments()) {
            var files = m.filesOf(s);
            // The walk scores the full vectors (in the graph file): a segment's PQ codes are not read.
            java.nio.file.Path graph = local(root, m, files.get(ManifestFile.GRAPH));
            String[] ids = ids(Generations.listedPath(root, m, files.get(ManifestFile.ROWS)));
            if (ids.length != s.rows()) {
                throw new IndexFormatException(
                        "segment " + s.id() + " lists " + s.rows() + " rows, its rows file holds " + ids.length);
            }
            parts.add(new Part(ids, SegmentGraph.open(graph, null, s.rows(), dimension)));
            rows += s.rows();
        }
        LOG.info(
                "Base generation {}: {} items in {} segments open for near-duplicate checks ({} ms)",
                generation,
                rows,
                parts.size(),
                (System.nanoTime() - start) / 1_000_000);
        return new BaseNeighbours(parts, dimension);
    }

    /** One searcher per segment, for one thread. */
    GraphSearcher[] searchers() {
        GraphSearcher[] searchers = new GraphSearcher[parts.size()];
        for (int i = 0; i < searchers.length; i++) {
            if (parts.get(i).ids().length > SCAN_ROWS) {
                searchers[i] = new GraphSearcher(parts.get(i).graph().graph());
            }
        }
        return searchers;
    }

    /**
     * The base's item nearest {@code query} (an L2-normalised embedding), by the exact dot product of the full
     * vectors; null for an empty base. Large segments are walked ({@code ef} candidates), small ones scanned.
     *
     * @param searchers this thread's, from {@link #searchers()}
     */
    Nearest nearest(float[] query, int ef, GraphSearcher[] searchers, DotKernel kernel) {
        String bestId = null;
        float best = Float.NEGATIVE_INFINITY;
        for (int p = 0; p < parts.size(); p++) {
            Part part = parts.get(p);
            MappedFloats v = part.graph().vectors();
            if (searchers[p] == null) {
                for (int row = 0; row < part.ids().length; row++) {
                    float s = kernel.dot(query, v.buffer(row), v.byteOffset(row), dimension);
                    if (s > best) {
                        best = s;
                        bestId = part.ids()[row];
                    }
                }
                continue;
            }
            ScoreFunction.ExactScoreFunction exact =
                    node -> (1 + kernel.dot(query, v.buffer(node), v.byteOffset(node), dimension)) / 2;
            SearchResult result =
                    searchers[p].search(new DefaultSearchScoreProvider(exact), 1, Math.max(ef, 1), 0f, 0f, Bits.ALL);
            for (SearchResult.NodeScore ns : result.getNodes()) {
                float s = kernel.dot(query, v.buffer(ns.node), v.byteOffset(ns.node), dimension);
                if (s > best) {
                    best = s;
                    bestId = part.ids()[ns.node];
                }
            }
        }
        return bestId == null ? null : new Nearest(bestId, best);
    }

    /** A segment's rows' ids, in row order. */
    private static String[] ids(Path rowsFile) throws IOException {
        List<String> ids = new ArrayList<>();
        try (ParquetReader<Group> reader = BaseRows.columns(rowsFile, "message ids { required binary id (STRING); }")) {
            for (Group g; (g = reader.read()) != null; ) {
                ids.add(g.getString("id", 0));
            }
        }
        return ids.toArray(new String[0]);
    }

    /**
     * A listed file on local disk: where it is for an index on a local folder; else a copy in the temporary folder,
     * named by its SHA-256, written once and checked against the manifest.
     */
    private static java.nio.file.Path local(Path root, Manifest m, ManifestFile file) throws IOException {
        Path p = Generations.listedPath(root, m, file);
        FileSystem fs = p.getFileSystem();
        if (!fs.isDistributedFS() && "file".equals(fs.getUri().getScheme())) {
            java.nio.file.Path inPlace = Paths.get(p.toUri().getPath());
            if (!Files.isRegularFile(inPlace) || Files.size(inPlace) != file.bytes()) {
                throw new IndexFormatException(
                        inPlace + " is missing or not the " + file.bytes() + " bytes the manifest lists");
            }
            return inPlace;
        }
        java.nio.file.Path dir =
                Files.createDirectories(Paths.get(System.getProperty("java.io.tmpdir"), "imgindex-base"));
        java.nio.file.Path copy = dir.resolve(file.sha256());
        if (Files.isRegularFile(copy) && Files.size(copy) == file.bytes()) {
            return copy;
        }
        java.nio.file.Path part = dir.resolve(file.sha256() + "." + UUID.randomUUID() + ".part");
        MessageDigest sha = Sha256.newDigest();
        try (InputStream in = new DigestInputStream(fs.open(p), sha);
                OutputStream out = Files.newOutputStream(part)) {
            in.transferTo(out);
        }
        String actual = Sha256.hex(sha);
        if (!actual.equals(file.sha256()) || Files.size(part) != file.bytes()) {
            Files.deleteIfExists(part);
            throw new IndexFormatException(p + " has SHA-256 " + actual + ", the manifest says " + file.sha256());
        }
        Files.move(part, copy, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        return copy;
    }
}
