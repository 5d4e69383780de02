package io.imgindex.format.segment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.jbellis.jvector.graph.disk.OnDiskGraphIndex;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexRow;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.Sha256;
import java.io.IOException;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A segment written by the segment writer (the job's) and opened as a server opens it: every file listed with its
 * true size and hash, node {@code i} is row {@code i} with its vector stored as written, the PQ codes there when the
 * segment is large enough, and the mapped readers give the same bytes across chunk boundaries as within one.
 */
class SegmentFilesTest {

    static final int DIM = 32;

    @TempDir
    Path dir;

    static float[][] vectors(int n, long seed) {
        Random r = new Random(seed);
        float[][] v = new float[n][DIM];
        for (float[] row : v) {
            double norm = 0;
            for (int j = 0; j < DIM; j++) {
                row[j] = (float) r.nextGaussian();
                norm += row[j] * row[j];
            }
            for (int j = 0; j < DIM; j++) {
                row[j] /= (float) Math.sqrt(norm);
            }
        }
        return v;
    }

    SegmentWriter open(String id, GraphParams params) throws IOException {
        return SegmentWriter.open(
                new LocalSegmentOutput(dir.resolve("idx")),
                id,
                1,
                new ModelInfo("m", DIM, ModelInfo.COSINE),
                params,
                dir.resolve("tmp"),
                2);
    }

    static IndexRow row(int i, float[] v) {
        return new IndexRow("id-" + i, "http://x/" + i, v, "m", 1, 1, "png", 1, "00", 0, null, Map.of());
    }

    SegmentWriter.Written write(String id, float[][] v, GraphParams params) throws IOException {
        SegmentWriter w = open(id, params);
        for (int i = 0; i < v.length; i++) {
            w.write(row(i, v[i]));
        }
        return w.finish();
    }

    @Test
    void thumbnailsAreAPackOfTheSegmentsRowsReadOneByOne() throws IOException {
        float[][] v = vectors(300, 3);
        SegmentWriter w = open("run-s1-w0-0-1", GraphParams.defaults());
        for (int i = 0; i < v.length; i++) {
            // Every third row has none (an image the decoder gave no thumbnail).
            byte[] thumb = i % 3 == 0 ? null : ("thumbnail of row " + i).getBytes(StandardCharsets.UTF_8);
            w.write(row(i, v[i]), thumb);
        }
        SegmentWriter.Written written = w.finish();

        assertThat(written.files()).extracting(ManifestFile::kind).containsExactly("rows", "graph", "thumbnails");
        ManifestFile pack = written.files().get(2);
        assertThat(pack.rows()).isEqualTo(300);
        assertThat(Sha256.hex(Files.readAllBytes(file(pack)))).isEqualTo(pack.sha256());
        try (ThumbnailPack.Reader r = ThumbnailPack.Reader.open(file(pack), 300)) {
            assertThat(r.get(0)).isNull();
            assertThat(new String(r.get(1), StandardCharsets.UTF_8)).isEqualTo("thumbnail of row 1");
            assertThat(new String(r.get(299), StandardCharsets.UTF_8)).isEqualTo("thumbnail of row 299");
            assertThatThrownBy(() -> r.get(300)).isInstanceOf(IndexOutOfBoundsException.class);
        }
        assertThatThrownBy(() -> ThumbnailPack.Reader.open(file(pack), 299)).isInstanceOf(IOException.class);
        // Front to back, as a compaction reads it beside the rows.
        try (ThumbnailPack.Sequential seq = new ThumbnailPack.Sequential(Files.newInputStream(file(pack)))) {
            assertThat(seq.rows()).isEqualTo(300);
            for (int i = 0; i < 300; i++) {
                byte[] t = seq.next();
                assertThat(t == null ? null : new String(t, StandardCharsets.UTF_8))
                        .isEqualTo(i % 3 == 0 ? null : "thumbnail of row " + i);
            }
            assertThatThrownBy(seq::next).isInstanceOf(IOException.class);
        }
        // Without thumbnails, no pack.
        assertThat(write("run-s1-w0-0-2", vectors(10, 4), GraphParams.defaults())
                        .files())
                .extracting(ManifestFile::kind)
                .containsExactly("rows", "graph");
    }

    Path file(ManifestFile f) {
        return dir.resolve("idx").resolve(f.path().substring(3));
    }

    @Test
    void writesRowsGraphAndCodesThatOpenAsTheyWereWritten() throws IOException {
        float[][] v = vectors(5_000, 1);
        SegmentWriter.Written w =
                write("run-s1-w0-0-0", v, GraphParams.defaults().withPqSubspaces(8));

        assertThat(w.info().rows()).isEqualTo(5_000);
        assertThat(w.info().graph().pqSubspaces())
                .as("5,000 rows: PQ codes written")
                .isEqualTo(8);
        assertThat(w.files()).extracting(ManifestFile::kind).containsExactly("rows", "graph", "pq");
        for (ManifestFile f : w.files()) {
            assertThat(f.path()).startsWith("../segments/shard=1/run-s1-w0-0-0/");
            assertThat(Files.size(file(f))).isEqualTo(f.bytes());
            assertThat(Sha256.hex(Files.readAllBytes(file(f)))).isEqualTo(f.sha256());
        }
        assertThat(dir.resolve("tmp")).isEmptyDirectory();

        SegmentGraph g =
                SegmentGraph.open(file(w.files().get(1)), file(w.files().get(2)), 5_000, DIM);
        assertThat(g.graph().size(0)).isEqualTo(5_000);
        assertThat(g.pq().count()).isEqualTo(5_000);
        float[] row = new float[DIM];
        for (int i : new int[] {0, 1, 2_499, 4_999}) {
            g.vectors().get(i, row, 0);
            // Stored and read back, no arithmetic: the same floats.
            assertThat(row).containsExactly(v[i]);
        }
    }

    @Test
    void smallSegmentsWalkFullVectors() throws IOException {
        SegmentWriter.Written w =
                write("run-s1-w0-0-1", vectors(300, 2), GraphParams.defaults().withPqSubspaces(8));

        assertThat(w.info().graph().pqSubspaces())
                .as("below PQ_MIN_ROWS: no codes")
                .isZero();
        assertThat(w.files()).extracting(ManifestFile::kind).containsExactly("rows", "graph");
        SegmentGraph g = SegmentGraph.open(file(w.files().get(1)), null, 300, DIM);
        assertThat(g.pq()).isNull();
        assertThat(g.graph().size(0)).isEqualTo(300);
    }

    @Test
    void anAbandonedSegmentPublishesNothing() throws IOException {
        SegmentWriter w = SegmentWriter.open(
                new LocalSegmentOutput(dir.resolve("idx")),
                "run-s1-w0-0-2",
                1,
                new ModelInfo("m", DIM, ModelInfo.COSINE),
                GraphParams.defaults(),
                dir.resolve("tmp"),
                1);
        w.write(new IndexRow("a", "http://x/a", vectors(1, 3)[0], "m", 1, 1, "png", 1, "00", 0, null, Map.of()));
        w.abandon();

        try (var files = Files.walk(dir.resolve("idx"))) {
            assertThat(files.filter(Files::isRegularFile)).isEmpty();
        }
        assertThat(dir.resolve("tmp")).isEmptyDirectory();
    }

    @Test
    void mappedReadsAgreeAcrossChunkBoundaries() throws IOException {
        float[][] v = vectors(2_000, 4);
        SegmentWriter.Written w = write("run-s1-w0-0-3", v, GraphParams.defaults());
        Path graph = file(w.files().get(1));

        // Vectors in chunks of 1,000 bytes (7 rows of 128 bytes each): every row still whole, bulk reads stop at ends.
        OnDiskGraphIndex index = OnDiskGraphIndex.load(new MappedReaderSupplier(graph));
        long offset = ((io.github.jbellis.jvector.graph.disk.feature.SeparatedVectors) index.getFeatures()
                        .get(io.github.jbellis.jvector.graph.disk.feature.FeatureId.SEPARATED_VECTORS))
                .getOffset();
        MappedFloats small = MappedFloats.map(graph, offset, 2_000, DIM, ByteOrder.BIG_ENDIAN, 1_000);
        float[] row = new float[DIM];
        for (int i = 0; i < 2_000; i++) {
            small.get(i, row, 0);
            assertThat(row).containsExactly(v[i]);
        }
        float[] block = new float[64 * DIM];
        assertThat(small.getRows(5, 64, block))
                .as("to the end of the first chunk")
                .isEqualTo(2);
        assertThat(small.getRows(7, 64, block)).isEqualTo(7);

        // The graph read through 1 KiB chunks (ints, longs and float runs straddle them) is the same graph.
        OnDiskGraphIndex chunked = OnDiskGraphIndex.load(new MappedReaderSupplier(graph, 10));
        assertThat(chunked.size(0)).isEqualTo(index.size(0));
        try (var a = index.getView();
                var b = chunked.getView()) {
            for (int node = 0; node < 2_000; node += 97) {
                assertThat(neighbours(b, node)).isEqualTo(neighbours(a, node));
            }
        }
    }

    private static java.util.List<Integer> neighbours(
            io.github.jbellis.jvector.graph.ImmutableGraphIndex.View view, int node) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        var it = view.getNeighborsIterator(0, node);
        while (it.hasNext()) {
            out.add(it.nextInt());
        }
        return out;
    }
}
