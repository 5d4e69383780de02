package io.imgindex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.item.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProgressReporterTest {

    @TempDir
    Path dir;

    private static Map<String, Object> counts(long read, long skipped, long fetched, long embedded, long failedFetch) {
        Map<String, Object> a = new HashMap<>();
        a.put(Progress.PREFIX + Progress.READ, read);
        a.put(Progress.PREFIX + Progress.SKIPPED, skipped);
        a.put(Progress.PREFIX + Progress.FETCHED, fetched);
        a.put(Progress.PREFIX + Progress.EMBEDDED, embedded);
        a.put(Progress.PREFIX + Progress.FAILED_FETCH, failedFetch);
        a.put("someone-else", "ignored");
        return a;
    }

    @Test
    void linesShowTheCountsTheRateTheShareAndTheEta() {
        List<String> out = new ArrayList<>();
        ProgressReporter r = new ProgressReporter(OptionalLong.of(1_010), out::add);
        long t0 = 1_000_000_000L;
        String first = r.line(counts(100, 10, 90, 80, 5), t0);
        assertThat(first)
                .isEqualTo("progress: read 100 · fetched 90 · embedded 80 · indexed 0 · duplicates 0 · failed 5 · 8%");
        // 10 s later 100 more are done: 10 images/s, 815 of 1,000 records to go: 82 s.
        String second = r.line(
                counts(300, 10, 190, 175, 10), t0 + Duration.ofSeconds(10).toNanos());
        assertThat(second)
                .isEqualTo("progress: read 300 · fetched 190 · embedded 175 · indexed 0 · duplicates 0 · failed 10"
                        + " · 10.0 images/s · 18% · ETA 1m 22s");
    }

    @Test
    void withoutAKnownSizeThereIsNoShareNorEta() {
        ProgressReporter r = new ProgressReporter(OptionalLong.empty(), s -> {});
        r.line(counts(10, 0, 10, 10, 0), 0);
        assertThat(r.line(counts(20, 0, 20, 20, 0), Duration.ofSeconds(1).toNanos()))
                .endsWith("failed 0 · 10.0 images/s");
    }

    @Test
    void countsTheLinesOfFilesAndFolders() throws Exception {
        Files.writeString(dir.resolve("a.txt"), "x\ny\nz\n");
        Files.createDirectories(dir.resolve("more"));
        Files.writeString(dir.resolve("more/b.csv"), "url\nq"); // no newline at the end
        Files.writeString(dir.resolve("more/.hidden"), "not\nread\n");
        assertThat(ProgressReporter.countLines(List.of(new org.apache.flink.core.fs.Path(dir.toUri()))))
                .hasValue(5);
        assertThat(ProgressReporter.countLines(List.of(
                        new org.apache.flink.core.fs.Path(dir.resolve("nope").toUri()))))
                .isEmpty();
    }

    @Test
    void durationsForPeople() {
        assertThat(ProgressReporter.human(Duration.ofSeconds(45))).isEqualTo("45s");
        assertThat(ProgressReporter.human(Duration.ofSeconds(200))).isEqualTo("3m 20s");
        assertThat(ProgressReporter.human(Duration.ofMinutes(125))).isEqualTo("2h 05m");
    }
}
