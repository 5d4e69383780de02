package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imgindex.format.GenerationReader;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.segment.LocalSegmentOutput;
import io.imgindex.format.segment.SegmentWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming commit protocol on Flink's operator harness: nothing is published before its checkpoint
 * completes; a completed checkpoint becomes a generation listing every file so far with counts that add up (in
 * flight included); an idle checkpoint publishes nothing; a state restored with pending reports publishes them;
 * counts with more rows than records are refused; a fresh stream builds on a base generation.
 */
class StreamingCommitterTest {

    @TempDir
    Path out;

    GenerationTarget target(String run, long base) {
        return new GenerationTarget(
                        out.toString(),
                        "idx",
                        0,
                        1,
                        "m",
                        2,
                        "cosine",
                        1 << 20,
                        "STREAMING",
                        List.of("amqp:q"),
                        "t0",
                        List.of(),
                        run)
                .streaming(run, List.of("amqp:q"), base);
    }

    /** The manifest path of the rows of segment {@code <run>-<name>} of shard 0. */
    static String rowsPath(String run, String name) {
        return "../segments/shard=0/" + run + "-" + name + "/rows.parquet";
    }

    /**
     * Writes a segment {@code <run>-<name>} of {@code rows} rows of shard 0 and reports it as a writer would before
     * barrier {@code checkpoint}; {@code name} is {@code s0-w<task>-<token>-<sequence>}.
     */
    GenerationReport written(GenerationTarget t, String name, int rows, long checkpoint) throws Exception {
        SegmentWriter w = SegmentWriter.open(
                new LocalSegmentOutput(out.resolve("idx")),
                t.runId() + "-" + name,
                0,
                t.model(),
                GraphParams.defaults(),
                out.resolve("tmp"),
                1);
        for (int i = 0; i < rows; i++) {
            w.write(new IndexRow(
                    name + i,
                    "http://x/" + name + i,
                    new float[] {(float) Math.cos(i), (float) Math.sin(i)},
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
        SegmentWriter.Written segment = w.finish();
        GenerationReport r = new GenerationReport();
        r.files = segment.files().stream().map(FileEntry::of).toArray(FileEntry[]::new);
        r.segments = new SegmentEntry[] {SegmentEntry.of(segment.info())};
        r.checkpoint = checkpoint;
        r.writerToken = "tok";
        return r;
    }

    static GenerationReport tally(long read, long checkpoint) {
        GenerationReport r = new GenerationReport();
        r.read = read;
        r.checkpoint = checkpoint;
        return r;
    }

    static OneInputStreamOperatorTestHarness<GenerationReport, String> harness(GenerationTarget t) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new StreamingCommitter(t));
    }

    /** Sends the reports that precede barrier {@code id} and takes the checkpoint's snapshot. */
    static OperatorSubtaskState snapshot(
            OneInputStreamOperatorTestHarness<GenerationReport, String> h, long id, GenerationReport... reports)
            throws Exception {
        for (GenerationReport r : reports) {
            h.processElement(new StreamRecord<>(r));
        }
        return h.snapshot(id, id * 10);
    }

    /** The same, then the checkpoint completes. */
    static void complete(
            OneInputStreamOperatorTestHarness<GenerationReport, String> h, long id, GenerationReport... reports)
            throws Exception {
        snapshot(h, id, reports);
        h.notifyOfCompletedCheckpoint(id);
    }

    GenerationReader reader() throws Exception {
        return GenerationReader.open(out.toString(), "idx", new Configuration());
    }

    @Test
    void publishesEachCompletedCheckpointAsAGenerationOfEverythingSoFar() throws Exception {
        GenerationTarget t = target("r1", 0);
        try (var h = harness(t)) {
            h.open();
            snapshot(h, 1, tally(5, 1), written(t, "s0-w0-tok-0", 3, 1));
            assertThat(reader().latest())
                    .as("nothing before the checkpoint completes")
                    .isEmpty();
            h.notifyOfCompletedCheckpoint(1);
            Manifest first = reader().manifest(reader().latest().orElseThrow().generation());
            assertThat(first.counts().read()).isEqualTo(5);
            assertThat(first.counts().indexed()).isEqualTo(3);
            assertThat(first.counts().inFlight()).isEqualTo(2);
            assertThat(first.counts().balanced()).isTrue();
            assertThat(first.run().checkpoint()).isEqualTo(1L);
            assertThat(first.run().stream()).isEqualTo("r1");
            assertThat(first.filesOf(io.imgindex.format.Table.INDEX))
                    .singleElement()
                    .satisfies(f -> assertThat(f.path()).isEqualTo(rowsPath("r1", "s0-w0-tok-0")));

            complete(h, 2, written(t, "s0-w0-tok-1", 2, 2));
            Manifest second = reader().manifest(reader().latest().orElseThrow().generation());
            assertThat(second.generation()).isGreaterThan(first.generation());
            assertThat(second.segments()).hasSize(2);
            assertThat(second.counts().inFlight()).isZero();
            reader().verify(second);

            long before = reader().latest().orElseThrow().generation();
            complete(h, 3);
            assertThat(reader().latest().orElseThrow().generation())
                    .as("an idle checkpoint publishes nothing")
                    .isEqualTo(before);
            assertThat(h.extractOutputValues()).hasSize(2);
        }
    }

    @Test
    void aRestoredStateWithPendingReportsPublishesThem() throws Exception {
        GenerationTarget t = target("r1", 0);
        OperatorSubtaskState snapshot;
        try (var h = harness(t)) {
            h.open();
            snapshot = snapshot(h, 1, tally(4, 1), written(t, "s0-w0-tok-0", 4, 1));
            // The job fails before checkpoint 1's completion reaches this operator.
        }
        assertThat(reader().latest()).isEmpty();
        try (var h = harness(target("r2", 0))) {
            h.initializeState(snapshot);
            h.open();
            Manifest m = reader().manifest(reader().latest().orElseThrow().generation());
            assertThat(m.counts().read()).isEqualTo(4);
            assertThat(m.counts().indexed()).isEqualTo(4);
            assertThat(m.filesOf(io.imgindex.format.Table.INDEX))
                    .singleElement()
                    .satisfies(f -> assertThat(f.path()).isEqualTo(rowsPath("r1", "s0-w0-tok-0")));
        }
    }

    /**
     * Reprocessing from an earlier savepoint: the next commit lists what that savepoint had committed plus what
     * comes after; the generations committed in between stay complete on the store.
     */
    @Test
    void restoringAnEarlierSavepointContinuesFromItsViewOfTheIndex() throws Exception {
        GenerationTarget t = target("r1", 0);
        OperatorSubtaskState early;
        long later;
        try (var h = harness(t)) {
            h.open();
            complete(h, 1, tally(2, 1), written(t, "s0-w0-tok-0", 2, 1));
            early = h.snapshot(2, 20); // a savepoint after the first commit
            h.notifyOfCompletedCheckpoint(2);
            complete(h, 3, tally(3, 3), written(t, "s0-w0-tok-1", 3, 3));
            later = reader().latest().orElseThrow().generation();
        }
        assertThat(reader().manifest(later).counts().read()).isEqualTo(5);

        GenerationTarget again = target("r2", 0);
        try (var h = harness(again)) {
            h.initializeState(early);
            h.open();
            complete(h, 3, tally(1, 3), written(again, "s0-w0-tok-0", 1, 3));
        }
        Manifest m = reader().manifest(reader().latest().orElseThrow().generation());
        assertThat(m.generation()).isGreaterThan(later);
        assertThat(m.counts().read()).isEqualTo(3);
        assertThat(m.filesOf(io.imgindex.format.Table.INDEX))
                .extracting(ManifestFile::path)
                .containsExactlyInAnyOrder(rowsPath("r1", "s0-w0-tok-0"), rowsPath("r2", "s0-w0-tok-0"));
        reader().verify(m);
        reader().verify(reader().manifest(later)); // the generation committed in between is still whole
    }

    @Test
    void refusesMoreRowsThanRecords() throws Exception {
        GenerationTarget t = target("r1", 0);
        try (var h = harness(t)) {
            h.open();
            snapshot(h, 1, tally(1, 1), written(t, "s0-w0-tok-0", 2, 1));
            assertThatThrownBy(() -> h.notifyOfCompletedCheckpoint(1))
                    .hasMessageContaining("refusing to commit checkpoint 1")
                    .hasMessageContaining("DOES NOT ADD UP");
        }
        assertThat(reader().latest()).isEmpty();
    }

    @Test
    void removesWhatAFailedAttemptLeftInTheRunFolder() throws Exception {
        GenerationTarget t = target("r1", 0);
        // Files of a writer whose attempt failed (its token is not a live writer's): a table file in the run's
        // folder, an in-progress one, and a whole segment.
        Path leftover = Path.of(t.writeDir().toUri()).resolve("duplicates/part-00001-deadbeef00-0.parquet");
        Path inProgress = Path.of(t.writeDir().toUri()).resolve("failures/.part-00001-deadbeef00-1.parquet.inprogress");
        Files.createDirectories(leftover.getParent());
        Files.createDirectories(inProgress.getParent());
        Files.write(leftover, new byte[] {1});
        Files.write(inProgress, new byte[] {1});
        written(t, "s0-w1-deadbeef00-0", 2, 1);
        // Another run's segment of the same index: never touched.
        written(target("r0", 0), "s0-w1-deadbeef00-0", 2, 1);
        try (var h = harness(t)) {
            h.open();
            complete(h, 1, tally(1, 1), written(t, "s0-w0-tok-0", 1, 1));
        }
        assertThat(leftover).doesNotExist();
        assertThat(inProgress).doesNotExist();
        assertThat(out.resolve("idx/segments/shard=0/r1-s0-w1-deadbeef00-0")).doesNotExist();
        assertThat(out.resolve("idx/segments/shard=0/r0-s0-w1-deadbeef00-0")).exists();
        assertThat(out.resolve("idx").resolve(rowsPath("r1", "s0-w0-tok-0").substring(3)))
                .exists();
    }

    @Test
    void aFreshStreamBuildsOnABaseGeneration() throws Exception {
        GenerationTarget first = target("r1", 0);
        try (var h = harness(first)) {
            h.open();
            complete(h, 1, tally(3, 1), written(first, "s0-w0-tok-0", 3, 1));
        }
        long base = reader().latest().orElseThrow().generation();
        GenerationTarget next = target("r2", base);
        try (var h = harness(next)) {
            h.open();
            complete(h, 1, tally(2, 1), written(next, "s0-w0-tok-0", 2, 1));
        }
        Manifest m = reader().manifest(reader().latest().orElseThrow().generation());
        assertThat(m.counts().read()).isEqualTo(5);
        assertThat(m.counts().balanced()).isTrue();
        assertThat(m.filesOf(io.imgindex.format.Table.INDEX))
                .extracting(ManifestFile::path)
                .containsExactlyInAnyOrder(rowsPath("r1", "s0-w0-tok-0"), rowsPath("r2", "s0-w0-tok-0"));
        reader().verify(m);
        assertThat(IndexLayout.rootRelative(
                        m.generation(),
                        m.filesOf(io.imgindex.format.Table.INDEX).get(0).path()))
                .startsWith("segments/");
    }

    @Test
    void retentionKeepsTheLastGenerationsAndEveryFileTheyList() throws Exception {
        GenerationTarget t = target("r1", 0);
        try (var h = new OneInputStreamOperatorTestHarness<>(new StreamingCommitter(t, 2, Map.of()))) {
            h.open();
            for (int c = 1; c <= 5; c++) {
                complete(h, c, tally(2, c), written(t, "s0-w0-tok-" + c, 2, c));
            }
        }
        GenerationReader reader = reader();
        long latest = reader.latest().orElseThrow().generation();
        List<Long> complete = new java.util.ArrayList<>();
        for (long g : reader.generations()) {
            if (reader.isComplete(g)) {
                complete.add(g);
            }
        }
        assertThat(complete).containsExactly(latest - 1, latest);
        // Every commit lists all the stream's segments so far: the kept ones list all five, all still there.
        Manifest m = reader.manifest(latest);
        assertThat(m.segments()).hasSize(5);
        reader.verify(m);
        reader.verify(reader.manifest(latest - 1));
    }

    @Test
    void aRunningStreamTakesOverACompactionOfItsSegments() throws Exception {
        GenerationTarget t = target("r1", 0);
        try (var h = harness(t)) {
            h.open();
            complete(h, 1, tally(2, 1), written(t, "s0-w0-tok-1", 2, 1));
            complete(h, 2, tally(3, 2), written(t, "s0-w0-tok-2", 3, 2));
            long base = reader().latest().orElseThrow().generation();

            // What imgindex compact publishes: the two small segments replaced by one with their five rows.
            Manifest before = reader().manifest(base);
            GenerationReport merged = written(target("c1", 0), "s0-w0-0-0", 5, 0);
            long compacted = Generations.reserveNext(t.indexRoot(), "{}", Map.of());
            List<ManifestFile> files = new java.util.ArrayList<>(
                    before.files().stream().filter(f -> f.segment() == null).toList());
            files.addAll(merged.manifestFiles());
            Manifest c = Manifest.current(
                    "idx",
                    compacted,
                    before.model(),
                    before.shards(),
                    before.counts(),
                    before.metadataColumns(),
                    files,
                    new io.imgindex.format.RunInfo("COMPACTION", List.of(), "t0", "t1", List.of("compact=" + base)),
                    merged.segmentInfos());
            Generations.writeAtomically(
                    Generations.manifestPath(t.indexRoot(), compacted),
                    io.imgindex.format.ManifestCodec.encode(c.validate()));
            Generations.moveLatest(t.indexRoot(), compacted, "t1", Map.of());

            complete(h, 3, tally(1, 3), written(t, "s0-w0-tok-3", 1, 3));
        }
        Manifest m = reader().manifest(reader().latest().orElseThrow().generation());
        assertThat(m.segments())
                .extracting(io.imgindex.format.SegmentInfo::id)
                .containsExactlyInAnyOrder("c1-s0-w0-0-0", "r1-s0-w0-tok-3");
        assertThat(m.counts().indexed()).isEqualTo(6);
        assertThat(m.counts().balanced()).isTrue();
        reader().verify(m);
    }
}
