package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.format.GraphParams;
import io.imgindex.item.Item;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The writer task on Flink's operator harness. */
class GenerationWriterTest {

    @TempDir
    Path out;

    @Test
    void metadataColumnsAreBoundedPerWriter() throws Exception {
        GenerationTarget target = new GenerationTarget(
                out.toString(),
                "idx",
                1,
                2,
                "m",
                2,
                "cosine",
                1 << 20,
                "BATCH",
                List.of("in.txt"),
                "t0",
                List.of(),
                "20261207T000000Z-aaaaaa");
        GenerationWriter writer = new GenerationWriter(
                target,
                new SegmentSettings(
                        GraphParams.defaults(), 1_000, 1, out.resolve("tmp").toString()));
        try (var h = new OneInputStreamOperatorTestHarness<Item, GenerationReport>(writer)) {
            h.open();
            // Every record brings a column of its own: a list made to blow up the manifest and the server's filters.
            int n = GenerationWriter.MAX_METADATA_COLUMNS + 44;
            for (int i = 0; i < n; i++) {
                h.processElement(
                        Item.pending("f" + i, "http://x/f" + i, Map.of("c" + i, "v"), "l:" + i)
                                .fail("NOT_FOUND", "gone"),
                        0);
            }
            Item copy = Item.pending("d", "http://x/d", Map.of("another", "v"), "l:d")
                    .duplicateOf("f0", 1f, "exact");
            h.processElement(copy, 0);
            Item known = Item.pending("k", "http://x/k", Map.of("c0", "again"), "l:k")
                    .duplicateOf("f0", 1f, "exact");
            h.processElement(known, 0);
            writer.endInput();

            GenerationReport report = h.extractOutputValues().get(0);
            assertThat(report.metadataColumns).hasSize(GenerationWriter.MAX_METADATA_COLUMNS);
            // Failures stay failures (their metadata dropped); a duplicate that would add a column fails instead;
            // one whose columns are known already passes.
            assertThat(report.failedByReason)
                    .containsEntry("NOT_FOUND", (long) n)
                    .containsEntry("BAD_RECORD", 1L);
            assertThat(report.duplicatesByMatch).containsEntry("exact", 1L);
            assertThat(copy.message).contains("at most 256", "adds 1 more (another)");
        }
    }
}
