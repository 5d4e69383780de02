package io.imgindex.cli;

import io.imgindex.item.Progress;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The launcher's progress lines, from the running job's accumulators ({@link Progress}):
 *
 * <pre>
 * progress: read 2,000 · fetched 1,410 · embedded 1,380 · indexed 0 · duplicates 0 · failed 12 · 61.0 images/s · 70% · ETA 10s
 * </pre>
 *
 * "Done" is what has passed the embedding (embedded, or failed on the way there); the rate is of done items over
 * the last interval; the share and the ETA appear when the input's size is known (its lines were counted before
 * the run). Task managers report accumulators with their heartbeats, so a figure may be one heartbeat old.
 * In BATCH, indexed and duplicates rise only at the end, when the near-duplicate decisions are made.
 */
final class ProgressReporter {

    private static final Logger LOG = LoggerFactory.getLogger(ProgressReporter.class);

    /** Inputs larger than this are not counted before the run: no share, no ETA. */
    static final long COUNT_LINES_UP_TO_BYTES = 2L << 30;

    private final OptionalLong total;
    private final Consumer<String> out;
    private long lastDone = -1;
    private long lastNanos;

    ProgressReporter(OptionalLong total, Consumer<String> out) {
        this.total = total;
        this.out = out;
        this.lastNanos = System.nanoTime();
    }

    /**
     * Asks the running job for its accumulators and prints the line, waiting at most {@code timeout}. Never
     * throws but for an interrupt: the job may end (and a local cluster shut down) between the caller's check and
     * this call, and a missed progress line must not fail a run.
     */
    void reportFrom(JobClient client, Duration timeout) throws InterruptedException {
        try {
            report(client.getAccumulators().get(timeout.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException | ExecutionException | RuntimeException e) {
            LOG.debug("No progress figures this time: {}", e.toString());
        }
    }

    /** Prints the line for these accumulator values, as of now. */
    void report(Map<String, Object> accumulators) {
        out.accept(line(accumulators, System.nanoTime()));
    }

    String line(Map<String, Object> a, long nowNanos) {
        long read = Progress.value(a, Progress.READ);
        long fetched = Progress.value(a, Progress.FETCHED);
        long embedded = Progress.value(a, Progress.EMBEDDED);
        long failedOnTheWay = Progress.value(a, Progress.FAILED_FETCH)
                + Progress.value(a, Progress.FAILED_DECODE)
                + Progress.value(a, Progress.FAILED_EMBED);
        long failed = Math.max(failedOnTheWay, Progress.value(a, Progress.FAILED_WRITTEN));
        long done = embedded + failedOnTheWay;
        double seconds = (nowNanos - lastNanos) / 1e9;
        double rate = lastDone < 0 || seconds <= 0 ? Double.NaN : (done - lastDone) / seconds;
        lastDone = done;
        lastNanos = nowNanos;
        StringBuilder s = new StringBuilder("progress: ");
        s.append(String.format(
                "read %,d · fetched %,d · embedded %,d · indexed %,d · duplicates %,d · failed %,d",
                read,
                fetched,
                embedded,
                Progress.value(a, Progress.INDEXED),
                Progress.value(a, Progress.DUPLICATES),
                failed));
        if (!Double.isNaN(rate)) {
            s.append(String.format(" · %.1f images/s", rate));
        }
        if (total.isPresent() && total.getAsLong() - Progress.value(a, Progress.SKIPPED) > 0) {
            long all = total.getAsLong() - Progress.value(a, Progress.SKIPPED);
            s.append(String.format(" · %d%%", Math.min(100, done * 100 / all)));
            if (!Double.isNaN(rate) && rate > 0 && done < all) {
                s.append(" · ETA ").append(human(Duration.ofSeconds((long) Math.ceil((all - done) / rate))));
            }
        }
        return s.toString();
    }

    /** {@code 45s}, {@code 3m 20s}, {@code 2h 05m}. */
    static String human(Duration d) {
        long s = d.toSeconds();
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm %02ds", s / 60, s % 60);
        }
        return String.format("%dh %02dm", s / 3600, (s % 3600) / 60);
    }

    /**
     * The records in the inputs, counted as lines (a CSV header and comments included, so a slight overcount), or
     * empty when they are more than {@link #COUNT_LINES_UP_TO_BYTES} or cannot be listed.
     */
    static OptionalLong countLines(List<Path> inputs) {
        try {
            List<Path> files = new ArrayList<>();
            long bytes = 0;
            for (Path p : inputs) {
                bytes += collect(p.getFileSystem(), p, files);
                if (bytes > COUNT_LINES_UP_TO_BYTES) {
                    return OptionalLong.empty();
                }
            }
            long lines = 0;
            byte[] buf = new byte[1 << 16];
            for (Path f : files) {
                boolean endsWithNewline = true;
                boolean any = false;
                try (InputStream in = f.getFileSystem().open(f)) {
                    for (int n = in.read(buf); n >= 0; n = in.read(buf)) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] == '\n') {
                                lines++;
                            }
                        }
                        if (n > 0) {
                            any = true;
                            endsWithNewline = buf[n - 1] == '\n';
                        }
                    }
                }
                if (any && !endsWithNewline) {
                    lines++;
                }
            }
            return OptionalLong.of(lines);
        } catch (IOException | RuntimeException e) {
            return OptionalLong.empty();
        }
    }

    private static long collect(FileSystem fs, Path p, List<Path> files) throws IOException {
        FileStatus st = fs.getFileStatus(p);
        if (!st.isDir()) {
            files.add(p);
            return st.getLen();
        }
        long bytes = 0;
        FileStatus[] children = fs.listStatus(p);
        if (children != null) {
            for (FileStatus c : children) {
                String name = c.getPath().getName();
                if (name.startsWith(".") || name.startsWith("_")) {
                    continue; // as the file source skips them
                }
                bytes += collect(fs, c.getPath(), files);
            }
        }
        return bytes;
    }
}
