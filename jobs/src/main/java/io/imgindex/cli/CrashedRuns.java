package io.imgindex.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.JobID;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Local streams that ended without a savepoint. A stream run by the launcher marks itself running in
 * {@code <index>/_flink/runs/<job id>} (the mark names the folder its checkpoints go to) and removes the mark when
 * it stops with a savepoint. A mark left behind means the run was killed or failed: its latest retained checkpoint
 * holds what it had read and not yet published, and the broker redelivers what it had not acknowledged, so the next
 * start restores from that checkpoint (exactly once) instead of starting fresh (which would lose the records the
 * checkpoint had acknowledged but not yet published).
 */
final class CrashedRuns {

    private static final Logger LOG = LoggerFactory.getLogger(CrashedRuns.class);

    /** A crashed run's latest checkpoint, and the marks to clear once a run has restored from it. */
    record Found(String checkpoint, JobID job, List<Path> marks) {}

    private CrashedRuns() {}

    static Path marks(Path indexRoot) {
        return new Path(indexRoot, "_flink/runs");
    }

    /** Marks job {@code job} running, its checkpoints under {@code checkpointsDir/<job id>}. */
    static void mark(Path indexRoot, JobID job, String checkpointsDir) throws IOException {
        Path mark = new Path(marks(indexRoot), job.toHexString());
        FileSystem fs = mark.getFileSystem();
        fs.mkdirs(mark.getParent());
        try (OutputStream out = fs.create(mark, FileSystem.WriteMode.OVERWRITE)) {
            out.write(new Path(checkpointsDir, job.toHexString()).toString().getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The run of {@code job} stopped with a savepoint: nothing to resume. */
    static void clear(Path indexRoot, JobID job) throws IOException {
        Path mark = new Path(marks(indexRoot), job.toHexString());
        mark.getFileSystem().delete(mark, false);
    }

    /** Removes marks once a run has restored from them (or found nothing to restore). */
    static void clear(List<Path> marks) throws IOException {
        for (Path m : marks) {
            m.getFileSystem().delete(m, false);
        }
    }

    /**
     * The newest retained checkpoint of the runs marked running, if any. Marks whose run left no checkpoint (it died
     * before its first one: the broker redelivers everything it read) are dropped here.
     */
    static Optional<Found> find(Path indexRoot) throws IOException {
        Path dir = marks(indexRoot);
        FileSystem fs = dir.getFileSystem();
        if (!fs.exists(dir)) {
            return Optional.empty();
        }
        FileStatus[] all = fs.listStatus(dir);
        List<Path> seen = new ArrayList<>();
        String best = null;
        JobID bestJob = null;
        long bestTime = Long.MIN_VALUE;
        for (FileStatus m : all == null ? new FileStatus[0] : all) {
            seen.add(m.getPath());
            Path jobDir;
            try (InputStream in = fs.open(m.getPath())) {
                jobDir = new Path(new String(in.readAllBytes(), StandardCharsets.UTF_8).strip());
            }
            Optional<FileStatus> latest = latestCheckpoint(jobDir);
            if (latest.isEmpty()) {
                LOG.info(
                        "Run {} left no checkpoint: nothing to restore from it",
                        m.getPath().getName());
                continue;
            }
            if (latest.get().getModificationTime() > bestTime) {
                bestTime = latest.get().getModificationTime();
                best = latest.get().getPath().toString();
                bestJob = JobID.fromHexString(m.getPath().getName());
            }
        }
        if (best == null) {
            clear(seen);
            return Optional.empty();
        }
        return Optional.of(new Found(best, bestJob, seen));
    }

    /** The {@code chk-<n>} folder with the highest n that holds a {@code _metadata} file. */
    static Optional<FileStatus> latestCheckpoint(Path jobDir) throws IOException {
        FileSystem fs = jobDir.getFileSystem();
        if (!fs.exists(jobDir)) {
            return Optional.empty();
        }
        FileStatus[] children = fs.listStatus(jobDir);
        FileStatus best = null;
        long bestN = -1;
        for (FileStatus c : children == null ? new FileStatus[0] : children) {
            String name = c.getPath().getName();
            if (!c.isDir() || !name.matches("chk-\\d{1,18}") || !fs.exists(new Path(c.getPath(), "_metadata"))) {
                continue;
            }
            long n = Long.parseLong(name.substring(4));
            if (n > bestN) {
                bestN = n;
                best = c;
            }
        }
        return Optional.ofNullable(best);
    }
}
