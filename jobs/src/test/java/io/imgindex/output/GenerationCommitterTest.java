package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.segment.LocalSegmentOutput;
import io.imgindex.format.segment.SegmentWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationCommitterTest {

    @TempDir
    Path out;

    static final String RUN = "20261202T000000Z-aaaaaa";

    GenerationTarget target(long generation) {
        return target(generation, RUN);
    }

    GenerationTarget target(long generation, String run) {
        return new GenerationTarget(
                out.toString(),
                "idx",
                generation,
                2,
                "m",
                2,
                "cosine",
                1 << 20,
                "BATCH",
                List.of("in.txt"),
                "t0",
                List.of(),
                run);
    }

    /** Writes one segment of {@code rows} rows of shard 0, as a writer task of run {@code run} would, and its report. */
    GenerationReport writer(String run, String name, int rows) throws Exception {
        SegmentWriter w = SegmentWriter.open(
                new LocalSegmentOutput(out.resolve("idx")),
                run + "-" + name,
                0,
                new ModelInfo("m", 2, ModelInfo.COSINE),
                GraphParams.defaults(),
                out.resolve("tmp"),
                1);
        for (int i = 0; i < rows; i++) {
            double a = i * 0.1;
            w.write(new IndexRow(
                    name + i,
                    "http://x/" + i,
                    new float[] {(float) Math.cos(a), (float) Math.sin(a)},
                    "m",
                    1,
                    1,
                    "png",
                    1,
                    "00",
                    0,
                    null,
                    Map.of()));
        }
        SegmentWriter.Written written = w.finish();
        GenerationReport r = new GenerationReport();
        r.files = written.files().stream().map(FileEntry::of).toArray(FileEntry[]::new);
        r.segments = new SegmentEntry[] {SegmentEntry.of(written.info())};
        return r;
    }

    GenerationReport writer(String name, int rows) throws Exception {
        return writer(RUN, name, rows);
    }

    Path segmentDir(String run, String name) {
        return out.resolve("idx/segments/shard=0/" + run + "-" + name);
    }

    static GenerationReport tally(long read) {
        GenerationReport r = new GenerationReport();
        r.read = read;
        return r;
    }

    List<String> commit(GenerationTarget target, GenerationReport... reports) throws Exception {
        try (var h = new OneInputStreamOperatorTestHarness<>(new GenerationCommitter(target))) {
            h.open();
            for (GenerationReport r : reports) {
                h.processElement(new StreamRecord<>(r));
            }
            h.endInput();
            return h.extractOutputValues();
        }
    }

    @Test
    void commitsAndRemovesWhatNoTaskOfThisRunReported() throws Exception {
        GenerationReport written = writer("s0-w0-0-0", 3);
        writer("s0-w1-0-0", 2); // a failed attempt's segment: never reported
        // Another run's segment (an earlier generation's, or a run writing at the same time): never touched.
        writer("20261201T000000Z-bbbbbb", "s0-w0-0-0", 2);

        List<String> result = commit(target(1), written, tally(3));

        assertThat(result).singleElement().asString().endsWith("generation=1/_manifest.json");
        assertThat(segmentDir(RUN, "s0-w0-0-0").resolve("rows.parquet")).exists();
        assertThat(segmentDir(RUN, "s0-w0-0-0").resolve("graph.jvg")).exists();
        assertThat(segmentDir(RUN, "s0-w1-0-0")).doesNotExist();
        assertThat(segmentDir("20261201T000000Z-bbbbbb", "s0-w0-0-0")).exists();
        LatestPointer latest = ManifestCodec.decodeLatest(Files.readAllBytes(out.resolve("idx/_LATEST")));
        assertThat(latest.generation()).isEqualTo(1);
        Manifest m = ManifestCodec.decodeManifest(Files.readAllBytes(out.resolve("idx/generation=1/_manifest.json")));
        assertThat(m.formatVersion()).isEqualTo(2);
        assertThat(m.segments()).singleElement().satisfies(seg -> {
            assertThat(seg.rows()).isEqualTo(3);
            assertThat(seg.graph()).isEqualTo(GraphParams.defaults().withPqSubspaces(0));
        });
        assertThat(m.filesOf(m.segments().get(0))).containsOnlyKeys("rows", "graph");
    }

    @Test
    void refusesCountsThatDoNotAddUp() throws Exception {
        GenerationReport written = writer("s0-w0-0-0", 3);

        assertThatThrownBy(() -> commit(target(1), written, tally(4)))
                .hasStackTraceContaining("the counts do not add up, read 4 = indexed 3");
        assertThat(out.resolve("idx/generation=1/_manifest.json")).doesNotExist();
        assertThat(out.resolve("idx/_LATEST")).doesNotExist();
    }

    @Test
    void neverMovesLatestBackwards() throws Exception {
        commit(target(2), writer("s0-w0-0-0", 1), tally(1));
        commit(target(1, "20261202T000001Z-cccccc"), writer("20261202T000001Z-cccccc", "s0-w0-0-0", 1), tally(1));

        assertThat(ManifestCodec.decodeLatest(Files.readAllBytes(out.resolve("idx/_LATEST")))
                        .generation())
                .isEqualTo(2);
        assertThat(out.resolve("idx/generation=1/_manifest.json")).exists();
    }

    @Test
    void aSecondRunOnTheSameGenerationFailsAndTouchesNothing() throws Exception {
        commit(target(1), writer("s0-w0-0-0", 2), tally(2));
        byte[] manifest = Files.readAllBytes(out.resolve("idx/generation=1/_manifest.json"));

        String other = "20261202T000002Z-dddddd";
        GenerationReport theirs = writer(other, "s0-w3-0-0", 1);
        assertThatThrownBy(() -> commit(target(1, other), theirs, tally(1)))
                .hasStackTraceContaining("another run committed generation 1");
        assertThat(Files.readAllBytes(out.resolve("idx/generation=1/_manifest.json")))
                .isEqualTo(manifest);
        assertThat(segmentDir(RUN, "s0-w0-0-0").resolve("rows.parquet")).exists();
    }

    @Test
    void reservesNumbersAboveAnyFolderPresent() throws Exception {
        org.apache.flink.core.fs.Path root = target(0).indexRoot();
        assertThat(Generations.reserveNext(root, "{}", Map.of())).isEqualTo(1);
        Files.createDirectories(out.resolve("idx/generation=7"));
        assertThat(Generations.reserveNext(root, "{}", Map.of())).isEqualTo(8);
        assertThat(out.resolve("idx/generation=8/_STARTED")).exists();
        assertThat(Generations.reserveNext(root, "{}", Map.of())).isEqualTo(9);
    }

    @Test
    void runsRacingForANumberNeverShareOneAndTheNewestGenerationWinsTheLatestPointer() throws Exception {
        org.apache.flink.core.fs.Path root = target(0).indexRoot();
        int runs = 16;
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(runs);
        try {
            java.util.concurrent.CountDownLatch go = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Long>> reserved = new java.util.ArrayList<>();
            for (int i = 0; i < runs; i++) {
                reserved.add(pool.submit(() -> {
                    go.await();
                    return Generations.reserveNext(root, "{}", Map.of());
                }));
            }
            go.countDown();
            java.util.Set<Long> numbers = new java.util.HashSet<>();
            for (var f : reserved) {
                numbers.add(f.get());
            }
            assertThat(numbers).hasSize(runs);

            // Every run moves the pointer to its own generation at once: the newest one must win.
            java.util.concurrent.CountDownLatch again = new java.util.concurrent.CountDownLatch(1);
            List<java.util.concurrent.Future<Boolean>> moves = new java.util.ArrayList<>();
            for (long g : numbers) {
                moves.add(pool.submit(() -> {
                    again.await();
                    return Generations.moveLatest(root, g, "t", Map.of());
                }));
            }
            again.countDown();
            for (var f : moves) {
                f.get();
            }
            long newest = numbers.stream().mapToLong(Long::longValue).max().orElseThrow();
            assertThat(Generations.readLatest(root))
                    .get()
                    .extracting(LatestPointer::generation)
                    .isEqualTo(newest);
        } finally {
            pool.shutdownNow();
        }
    }
}
