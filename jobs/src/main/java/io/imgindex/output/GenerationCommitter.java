package io.imgindex.output;

import io.imgindex.format.Counts;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.RunInfo;
import io.imgindex.format.Table;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Commits a generation once all writers and readers have reported (parallelism 1): adds up the counts and
 * refuses to commit if they do not balance, removes files no successful task reported (leftovers of failed
 * attempts), writes {@code _manifest.json}, and then moves {@code _LATEST} to this generation if it is newer
 * than the one it points to. Emits the manifest's path.
 */
public class GenerationCommitter extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<GenerationReport, String>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private final GenerationTarget target;
    private transient List<GenerationReport> reports;

    public GenerationCommitter(GenerationTarget target) {
        this.target = target;
    }

    @Override
    public void open() throws Exception {
        super.open();
        reports = new ArrayList<>();
    }

    @Override
    public void processElement(StreamRecord<GenerationReport> record) {
        reports.add(record.getValue());
    }

    @Override
    public void endInput() throws Exception {
        Manifest manifest = manifest();
        Path dir = target.generationDir();
        Path manifestPath = new Path(dir, IndexLayout.MANIFEST);
        if (!alreadyCommitted(manifestPath, manifest)) {
            removeUnlisted(dir, manifest);
            Generations.writeAtomically(manifestPath, ManifestCodec.encode(manifest));
        }
        Path root = target.indexRoot();
        Optional<LatestPointer> latest = Generations.readLatest(root);
        if (latest.isEmpty() || latest.get().generation() < target.generation()) {
            Generations.writeAtomically(
                    new Path(root, IndexLayout.LATEST),
                    ManifestCodec.encode(
                            LatestPointer.to(target.generation(), manifest.run().committedAt())));
        } else {
            LOG.warn(
                    "{} points to generation {}, newer than {}: left as it is",
                    IndexLayout.LATEST,
                    latest.get().generation(),
                    target.generation());
        }
        LOG.info(
                "Committed generation {} of {}: {}",
                target.generation(),
                target.name(),
                manifest.counts().summary());
        output.collect(new StreamRecord<>(manifestPath.toString()));
    }

    /** Adds up the reports into the manifest, refusing counts that do not balance. */
    Manifest manifest() {
        List<ManifestFile> files = new ArrayList<>();
        long read = 0;
        long skipped = 0;
        Map<String, Long> byReason = new HashMap<>();
        Map<String, Long> byMatch = new HashMap<>();
        Map<String, String> columns = new HashMap<>();
        for (GenerationReport r : reports) {
            for (FileEntry f : r.files) {
                files.add(f.toManifestFile());
            }
            read += r.read;
            skipped += r.skippedLines;
            r.failedByReason.forEach((k, v) -> byReason.merge(k, v, Long::sum));
            r.duplicatesByMatch.forEach((k, v) -> byMatch.merge(k, v, Long::sum));
            r.metadataColumns.forEach((k, v) -> columns.merge(k, v, GenerationReport::mergeColumnType));
        }
        long indexed = rows(files, Table.INDEX);
        long duplicates = rows(files, Table.DUPLICATES);
        long failed = rows(files, Table.FAILURES);
        Counts counts = new Counts(read, skipped, indexed, duplicates, failed, byReason, byMatch);
        if (!counts.balanced()) {
            throw new IllegalStateException("refusing to commit generation " + target.generation()
                    + ": the counts do not add up, " + counts.summary() + ", failed by reason " + byReason);
        }
        RunInfo run = new RunInfo(
                target.mode(),
                target.inputs(),
                target.startedAt(),
                Instant.now().toString(),
                target.options());
        return Manifest.current(
                        target.name(),
                        target.generation(),
                        target.model(),
                        target.shards(),
                        counts,
                        columns,
                        files,
                        run)
                .validate();
    }

    private static long rows(List<ManifestFile> files, Table table) {
        return files.stream()
                .filter(f -> f.tableKind() == table)
                .mapToLong(ManifestFile::rows)
                .sum();
    }

    /** Deletes data and in-progress files under the generation that the manifest does not list. */
    private void removeUnlisted(Path dir, Manifest manifest) throws IOException {
        Set<String> listed = new HashSet<>();
        for (ManifestFile f : manifest.files()) {
            listed.add(f.path());
        }
        FileSystem fs = dir.getFileSystem();
        for (FileStatus sub : list(fs, dir)) {
            if (!sub.isDir()) {
                continue;
            }
            for (FileStatus file : list(fs, sub.getPath())) {
                String name = file.getPath().getName();
                String relative = sub.getPath().getName() + "/" + name;
                boolean ours = name.endsWith(".inprogress") || IndexLayout.isDataFile(name);
                if (ours && !listed.contains(relative)) {
                    LOG.info("Removing {}: no successful task reported it", file.getPath());
                    fs.delete(file.getPath(), false);
                }
            }
        }
    }

    private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] s = fs.exists(dir) ? fs.listStatus(dir) : null;
        return s == null ? new FileStatus[0] : s;
    }

    /**
     * Whether this very generation is committed already (a retried commit), checked before anything is deleted.
     * A manifest with other files means another run took this generation number: refuse, touching nothing.
     */
    private static boolean alreadyCommitted(Path path, Manifest manifest) throws IOException {
        FileSystem fs = path.getFileSystem();
        if (!fs.exists(path)) {
            return false;
        }
        Manifest existing = ManifestCodec.decodeManifest(Generations.readAll(fs, path));
        if (!existing.files().equals(manifest.files())) {
            throw new IOException(path + " exists with other files: another run committed generation "
                    + manifest.generation() + "; run one writer per index at a time");
        }
        return true;
    }
}
