package io.imgindex.output;

import io.imgindex.format.Counts;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.RunInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
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
    private final int retain;
    private final TreeMap<String, String> storeSettings;
    private transient List<GenerationReport> reports;

    public GenerationCommitter(GenerationTarget target) {
        this(target, 0, Map.of());
    }

    /**
     * @param retain generations to keep after the commit (older ones are deleted), 0 to keep all
     * @param storeSettings the client's object store settings ({@link CommitWrites#storeSettings})
     */
    public GenerationCommitter(GenerationTarget target, int retain, Map<String, String> storeSettings) {
        this.target = target;
        this.retain = retain;
        this.storeSettings = new TreeMap<>(storeSettings);
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
        Path manifestPath = Generations.manifestPath(target.indexRoot(), target.generation());
        if (!alreadyCommitted(manifestPath, manifest)) {
            removeUnlisted(dir, manifest);
            Generations.writeAtomically(manifestPath, ManifestCodec.encode(manifest));
        }
        Generations.moveLatest(
                target.indexRoot(),
                target.generation(),
                manifest.run().committedAt(),
                CommitWrites.storeSettings(storeSettings, getRuntimeContext()));
        if (retain > 0) {
            Generations.retain(target.indexRoot(), retain);
        }
        LOG.info(
                "Committed generation {} of {}: {}",
                target.generation(),
                target.name(),
                manifest.counts().summary());
        output.collect(new StreamRecord<>(manifestPath.toString()));
    }

    /**
     * Adds up the reports into the manifest, refusing counts that do not balance. An append's base generation comes
     * first: its files and segments are listed as they are, and its counts are added to the run's.
     */
    Manifest manifest() throws IOException {
        GenerationReport total = target.baseGeneration() > 0
                ? GenerationReport.ofBase(
                        Generations.readManifest(Generations.manifestPath(target.indexRoot(), target.baseGeneration())))
                : new GenerationReport();
        for (GenerationReport r : reports) {
            total.add(r);
        }
        List<ManifestFile> files = total.manifestFiles();
        Counts counts = total.counts(false);
        if (!counts.balanced()) {
            throw new IllegalStateException("refusing to commit generation " + target.generation()
                    + ": the counts do not add up, " + counts.summary() + ", failed by reason "
                    + total.failedByReason);
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
                        total.metadataColumns,
                        files,
                        run,
                        total.segmentInfos())
                .validate();
    }

    /**
     * Deletes what a failed attempt of this run left: data and in-progress files under the generation that the
     * manifest does not list, and this run's segments it does not list. Never a file of another run.
     */
    private void removeUnlisted(Path dir, Manifest manifest) throws IOException {
        Set<String> listed = new HashSet<>();
        Set<String> segments = new HashSet<>();
        for (ManifestFile f : manifest.files()) {
            listed.add(f.path());
        }
        manifest.segments().forEach(s -> segments.add(s.id()));
        Generations.removeDataFiles(dir, relative -> !listed.contains(relative), "no successful task reported it");
        Generations.removeRunSegments(
                target.indexRoot(), target.runId(), id -> !segments.contains(id), "no successful task reported it");
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
        Manifest existing = Generations.readManifest(path);
        if (!existing.files().equals(manifest.files())) {
            throw new IOException(path + " exists with other files: another run committed generation "
                    + manifest.generation() + "; run one writer per index at a time");
        }
        return true;
    }
}
