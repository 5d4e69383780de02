package io.imgindex.server;

import io.imgindex.format.Counts;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.RunInfo;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.TableWriter;
import io.imgindex.format.segment.SegmentOutput;
import io.imgindex.format.segment.SegmentWriter;
import io.imgindex.imaging.embed.ModelCard;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntFunction;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;

/**
 * Writes index generations for the servers' tests and benchmarks with the format module's writer (the job's
 * writer), on any Hadoop file system: a local folder or S3. Row {@code i} has id {@code <prefix><i>}.
 */
public final class TestGenerations {

    /**
     * @param output the indexes' location (a folder or an s3a:// URI)
     * @param vectors row-major, {@code n * dimension}
     * @param duplicates duplicate rows to record (their {@code duplicate_of} must be ids of rows)
     */
    public record Spec(
            String output,
            String name,
            long generation,
            int shards,
            String modelId,
            int dimension,
            String idPrefix,
            float[] vectors,
            IntFunction<Map<String, String>> metadata,
            List<DuplicateRow> duplicates) {}

    private TestGenerations() {}

    /**
     * Writes the generation in the current format (segments, one per shard, each with its graph, built by the
     * format's segment writer as the job builds them), its manifest and the {@code _LATEST} pointer; returns the
     * manifest.
     */
    public static Manifest write(Spec spec, Configuration conf) throws IOException {
        return write(spec, conf, true, true, GraphParams.defaultPqSubspaces(spec.dimension()), i -> null);
    }

    /** The same, row {@code i} with the thumbnail {@code thumbnails.apply(i)} (null: none). */
    public static Manifest write(Spec spec, Configuration conf, IntFunction<byte[]> thumbnails) throws IOException {
        return write(spec, conf, true, true, GraphParams.defaultPqSubspaces(spec.dimension()), thumbnails);
    }

    /** The same with {@code pqSubspaces} PQ subspaces for segments large enough (0: graphs walk full vectors). */
    public static Manifest write(Spec spec, Configuration conf, int pqSubspaces) throws IOException {
        return write(spec, conf, true, true, pqSubspaces, i -> null);
    }

    /** Writes the generation in format version 1: flat index files, no graphs (servers build them at load). */
    public static Manifest writeFlat(Spec spec, Configuration conf) throws IOException {
        return write(spec, conf, false, true, 0, i -> null);
    }

    /**
     * Writes a generation that lists every segment and file of {@code base} as they are, plus new segments for
     * {@code spec}'s rows (their ids must differ from the base's): what a stream's next commit, or an append, makes.
     */
    public static Manifest writeOnTop(Spec spec, Manifest base, Configuration conf) throws IOException {
        Manifest fresh = write(spec, conf, true, false, GraphParams.defaultPqSubspaces(spec.dimension()), i -> null);
        List<ManifestFile> files = new ArrayList<>();
        for (ManifestFile f : base.files()) {
            files.add(
                    f.shared()
                            ? f
                            : new ManifestFile(
                                    IndexLayout.INDEX_ROOT_PREFIX
                                            + IndexLayout.rootRelative(base.generation(), f.path()),
                                    f.table(),
                                    f.shard(),
                                    f.rows(),
                                    f.bytes(),
                                    f.sha256(),
                                    f.segment(),
                                    f.kind()));
        }
        files.addAll(fresh.files());
        List<SegmentInfo> segments = new ArrayList<>(base.segments());
        segments.addAll(fresh.segments());
        io.imgindex.format.Counts b = base.counts();
        io.imgindex.format.Counts f = fresh.counts();
        Counts counts = new Counts(
                b.read() + f.read(), 0, b.indexed() + f.indexed(), b.duplicates() + f.duplicates(), 0, Map.of());
        Map<String, String> columns = new HashMap<>(base.metadataColumns());
        columns.putAll(fresh.metadataColumns());
        Manifest m = Manifest.current(
                spec.name(),
                spec.generation(),
                base.model(),
                base.shards(),
                counts,
                columns,
                files,
                fresh.run(),
                segments);
        writeManifest(spec, conf, m);
        return m;
    }

    private static void writeManifest(Spec spec, Configuration conf, Manifest m) throws IOException {
        URI base = spec.output().contains("://")
                ? URI.create(spec.output() + "/")
                : Path.of(spec.output()).toUri();
        org.apache.hadoop.fs.Path root =
                new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(base), spec.name());
        org.apache.hadoop.fs.Path dir =
                new org.apache.hadoop.fs.Path(root, IndexLayout.generationDir(spec.generation()));
        FileSystem fs = root.getFileSystem(conf);
        if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
            fs = local.getRawFileSystem(); // no .crc side files, as in write()
        }
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(dir, IndexLayout.MANIFEST), true)) {
            out.write(ManifestCodec.encode(m));
        }
        try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(root, IndexLayout.LATEST), true)) {
            out.write(ManifestCodec.encode(LatestPointer.to(spec.generation(), "t1")));
        }
    }

    private static Manifest write(
            Spec spec, Configuration conf, boolean segmented, boolean publish, int pq, IntFunction<byte[]> thumbnails)
            throws IOException {
        URI base = spec.output().contains("://")
                ? URI.create(spec.output() + "/")
                : Path.of(spec.output()).toUri();
        org.apache.hadoop.fs.Path root =
                new org.apache.hadoop.fs.Path(new org.apache.hadoop.fs.Path(base), spec.name());
        org.apache.hadoop.fs.Path dir =
                new org.apache.hadoop.fs.Path(root, IndexLayout.generationDir(spec.generation()));
        FileSystem fs = root.getFileSystem(conf);
        if (fs instanceof org.apache.hadoop.fs.LocalFileSystem local) {
            // No .crc side files: the job writes none either, and tests that corrupt a file want the format's
            // own checks to catch it.
            fs = local.getRawFileSystem();
        }
        int n = spec.vectors().length / spec.dimension();
        Map<Integer, List<Integer>> byShard = new HashMap<>();
        for (int i = 0; i < n; i++) {
            byShard.computeIfAbsent(ShardAssignment.shardOf(spec.idPrefix() + i, spec.shards()), k -> new ArrayList<>())
                    .add(i);
        }
        List<ManifestFile> files = new ArrayList<>();
        List<SegmentInfo> segments = new ArrayList<>();
        Map<String, String> columns = new HashMap<>();
        ModelInfo model = new ModelInfo(spec.modelId(), spec.dimension(), ModelInfo.COSINE);
        for (Map.Entry<Integer, List<Integer>> e : byShard.entrySet()) {
            String rel = IndexLayout.tableDir(io.imgindex.format.Table.INDEX, e.getKey()) + "/"
                    + IndexLayout.partFileName(0, 0, e.getKey());
            SegmentWriter segment = segmented
                    ? SegmentWriter.open(
                            new HadoopOutput(fs, root),
                            "test-g" + spec.generation() + "-s" + e.getKey() + "-0",
                            e.getKey(),
                            model,
                            GraphParams.defaults().withPqSubspaces(pq),
                            Path.of(System.getProperty("java.io.tmpdir"), "imgindex-test-segments"),
                            2)
                    : null;
            try (OutputStream out = segmented ? null : fs.create(new org.apache.hadoop.fs.Path(dir, rel), true);
                    TableWriter<IndexRow> w = segmented ? null : TableWriter.index(out, rel, e.getKey())) {
                for (int i : e.getValue()) {
                    float[] v = new float[spec.dimension()];
                    System.arraycopy(spec.vectors(), i * spec.dimension(), v, 0, spec.dimension());
                    Map<String, String> meta = spec.metadata().apply(i);
                    meta.forEach((k, x) ->
                            columns.merge(k, isNumber(x) ? "number" : "string", (a, b) -> a.equals(b) ? a : "string"));
                    IndexRow row = new IndexRow(
                            spec.idPrefix() + i,
                            "http://example.com/" + spec.idPrefix() + i + ".jpg",
                            v,
                            spec.modelId(),
                            100,
                            80,
                            "jpeg",
                            1000 + i,
                            "00",
                            1_700_000_000_000L,
                            null,
                            meta);
                    if (segmented) {
                        segment.write(row, thumbnails.apply(i));
                    } else {
                        w.write(row);
                    }
                }
                if (segmented) {
                    SegmentWriter.Written written = segment.finish();
                    files.addAll(written.files());
                    segments.add(written.info());
                } else {
                    files.add(w.finish());
                }
            }
        }
        if (!spec.duplicates().isEmpty()) {
            String rel = "duplicates/" + IndexLayout.partFileName(0, 0, 999);
            try (OutputStream out = fs.create(new org.apache.hadoop.fs.Path(dir, rel), true);
                    TableWriter<DuplicateRow> w = TableWriter.duplicates(out, rel)) {
                for (DuplicateRow d : spec.duplicates()) {
                    w.write(d);
                }
                files.add(w.finish());
            }
        }
        Counts counts =
                new Counts(n + spec.duplicates().size(), 0, n, spec.duplicates().size(), 0, Map.of());
        RunInfo run = new RunInfo("BATCH", List.of("test"), "t0", "t1", List.of());
        Manifest m = segmented
                ? Manifest.current(
                        spec.name(), spec.generation(), model, spec.shards(), counts, columns, files, run, segments)
                : Manifest.flat(spec.name(), spec.generation(), model, spec.shards(), counts, columns, files, run);
        if (publish) {
            writeManifest(spec, conf, m);
        }
        return m;
    }

    /**
     * A model this server "has" for vectors of any dimension: a card without a SavedModel. Enough to serve vector
     * queries; image queries against it fail.
     */
    public static void cardOnlyModel(Path cache, String id, int dimension) throws IOException {
        Path dir = cache.resolve(id);
        java.nio.file.Files.createDirectories(dir);
        new ModelCard(
                        id,
                        dimension,
                        "cosine",
                        "pixels",
                        ModelCard.Input.pixels("pixels", 8, 8, "squash", 1, 0),
                        "embedding",
                        "test vectors",
                        "none",
                        null)
                .write(dir);
    }

    /** Segment files on a Hadoop file system, written under their final names (as on an object store). */
    record HadoopOutput(FileSystem fs, org.apache.hadoop.fs.Path root) implements SegmentOutput {
        @Override
        public OutputStream create(String rootRelative) throws IOException {
            return fs.create(new org.apache.hadoop.fs.Path(root, rootRelative), false);
        }

        @Override
        public void publish(String rootRelative) {}

        @Override
        public void discard(String rootRelative) {
            try {
                fs.delete(new org.apache.hadoop.fs.Path(root, rootRelative), false);
            } catch (IOException e) {
                // A test's leftover.
            }
        }
    }

    private static boolean isNumber(String v) {
        try {
            Double.parseDouble(v);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
