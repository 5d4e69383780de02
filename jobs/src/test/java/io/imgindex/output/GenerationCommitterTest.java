package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.TableWriter;
import java.io.OutputStream;
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

    GenerationTarget target(long generation) {
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
                List.of());
    }

    /** Writes one index file of {@code rows} rows into the generation and reports it as a writer would. */
    GenerationReport writer(long generation, String name, int rows) throws Exception {
        String relative = "shard=0/" + name;
        Path file = out.resolve("idx")
                .resolve(IndexLayout.generationDir(generation))
                .resolve(relative);
        Files.createDirectories(file.getParent());
        ManifestFile entry;
        try (OutputStream s = Files.newOutputStream(file);
                TableWriter<IndexRow> w = TableWriter.index(s, relative, 0)) {
            for (int i = 0; i < rows; i++) {
                w.write(new IndexRow(
                        name + i, "http://x/" + i, new float[] {1, 0}, "m", 1, 1, "png", 1, "00", 0, null, Map.of()));
            }
            entry = w.finish();
        }
        GenerationReport r = new GenerationReport();
        r.files = new FileEntry[] {FileEntry.of(entry)};
        return r;
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
    void commitsAndRemovesWhatNoTaskReported() throws Exception {
        GenerationReport written = writer(1, "part-00000-0-0.parquet", 3);
        writer(1, "part-00001-0-0.parquet", 2); // a failed attempt's file: never reported
        Path leftover = out.resolve("idx/generation=1/shard=0/.part-00001-1-0.parquet.inprogress");
        Files.writeString(leftover, "half");

        List<String> result = commit(target(1), written, tally(3));

        assertThat(result).singleElement().asString().endsWith("generation=1/_manifest.json");
        assertThat(out.resolve("idx/generation=1/shard=0"))
                .isDirectoryContaining("glob:**/part-00000-0-0.parquet")
                .isDirectoryNotContaining("glob:**/part-00001-0-0.parquet")
                .isDirectoryNotContaining("glob:**/*.inprogress");
        LatestPointer latest = ManifestCodec.decodeLatest(Files.readAllBytes(out.resolve("idx/_LATEST")));
        assertThat(latest.generation()).isEqualTo(1);
    }

    @Test
    void refusesCountsThatDoNotAddUp() throws Exception {
        GenerationReport written = writer(1, "part-00000-0-0.parquet", 3);

        assertThatThrownBy(() -> commit(target(1), written, tally(4)))
                .hasStackTraceContaining("the counts do not add up, read 4 = indexed 3");
        assertThat(out.resolve("idx/generation=1/_manifest.json")).doesNotExist();
        assertThat(out.resolve("idx/_LATEST")).doesNotExist();
    }

    @Test
    void neverMovesLatestBackwards() throws Exception {
        commit(target(2), writer(2, "part-00000-0-0.parquet", 1), tally(1));
        commit(target(1), writer(1, "part-00000-0-0.parquet", 1), tally(1));

        assertThat(ManifestCodec.decodeLatest(Files.readAllBytes(out.resolve("idx/_LATEST")))
                        .generation())
                .isEqualTo(2);
        assertThat(out.resolve("idx/generation=1/_manifest.json")).exists();
    }

    @Test
    void aSecondRunOnTheSameGenerationFailsAndTouchesNothing() throws Exception {
        commit(target(1), writer(1, "part-00000-0-0.parquet", 2), tally(2));
        byte[] manifest = Files.readAllBytes(out.resolve("idx/generation=1/_manifest.json"));

        GenerationReport other = writer(1, "part-00003-0-0.parquet", 1);
        assertThatThrownBy(() -> commit(target(1), other, tally(1)))
                .hasStackTraceContaining("another run committed generation 1");
        assertThat(Files.readAllBytes(out.resolve("idx/generation=1/_manifest.json")))
                .isEqualTo(manifest);
        assertThat(out.resolve("idx/generation=1/shard=0/part-00000-0-0.parquet"))
                .exists();
    }

    @Test
    void reservesNumbersAboveAnyFolderPresent() throws Exception {
        org.apache.flink.core.fs.Path root = target(0).indexRoot();
        assertThat(Generations.reserveNext(root, "{}")).isEqualTo(1);
        Files.createDirectories(out.resolve("idx/generation=7"));
        assertThat(Generations.reserveNext(root, "{}")).isEqualTo(8);
        assertThat(out.resolve("idx/generation=8/_STARTED")).exists();
        assertThat(Generations.reserveNext(root, "{}")).isEqualTo(9);
    }
}
