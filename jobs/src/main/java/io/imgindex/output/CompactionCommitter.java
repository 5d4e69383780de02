package io.imgindex.output;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.RunInfo;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Table;
import io.imgindex.job.CompactJob;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Commits a compaction (parallelism 1): the base generation's manifest with the merged segments (or, for a format
 * version 1 base, every flat index file) replaced by the segments the writers built, every other file listed as it
 * is, the same counts. It refuses to commit when the new segments do not hold exactly the rows they replace. Then
 * {@code _LATEST} moves to it unless a newer generation was committed meanwhile. Emits the manifest's path.
 */
public class CompactionCommitter extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<GenerationReport, String>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private final GenerationTarget target;
    /** The base manifest as JSON (the format's records are not Java-serialisable, the manifest's codec is exact). */
    private final byte[] base;

    private final List<CompactJob.ShardPlan> shards;
    private final TreeMap<String, String> storeSettings;
    private transient CompactJob.Plan plan;
    private transient List<GenerationReport> reports;

    /** @param storeSettings the client's object store settings ({@link CommitWrites#storeSettings}) */
    public CompactionCommitter(GenerationTarget target, CompactJob.Plan plan, Map<String, String> storeSettings) {
        this.target = target;
        this.storeSettings = new TreeMap<>(storeSettings);
        this.base = ManifestCodec.encode(plan.base());
        this.shards = List.copyOf(plan.shards());
        this.plan = plan;
    }

    @Override
    public void open() throws Exception {
        super.open();
        plan = new CompactJob.Plan(ManifestCodec.decodeManifest(base), shards);
        reports = new ArrayList<>();
    }

    @Override
    public void processElement(StreamRecord<GenerationReport> record) {
        reports.add(record.getValue());
    }

    @Override
    public void endInput() throws Exception {
        Manifest manifest = manifest();
        Path path = Generations.manifestPath(target.indexRoot(), target.generation());
        Set<String> ours = new HashSet<>();
        manifest.segments().forEach(s -> ours.add(s.id()));
        Generations.removeRunSegments(
                target.indexRoot(), target.runId(), id -> !ours.contains(id), "no successful task reported it");
        Generations.writeAtomically(path, ManifestCodec.encode(manifest));
        Generations.moveLatest(
                target.indexRoot(),
                target.generation(),
                manifest.run().committedAt(),
                CommitWrites.storeSettings(storeSettings, getRuntimeContext()));
        LOG.info(
                "Compacted generation {} into {}: {}",
                plan.base().generation(),
                target.generation(),
                manifest.counts().summary());
        output.collect(new StreamRecord<>(path.toString()));
    }

    Manifest manifest() {
        Manifest base = plan.base();
        Set<String> merged = new HashSet<>();
        long replaced = 0;
        for (CompactJob.ShardPlan p : plan.shards()) {
            merged.addAll(p.segmentIds());
            replaced += p.rows();
        }
        GenerationReport total = new GenerationReport();
        reports.forEach(total::add);
        long built = total.segmentInfos().stream().mapToLong(SegmentInfo::rows).sum();
        if (built != replaced) {
            throw new IllegalStateException("refusing to commit the compaction of generation " + base.generation()
                    + ": the new segments hold " + built + " rows, the ones they replace " + replaced);
        }
        List<ManifestFile> files = new ArrayList<>();
        for (ManifestFile f : base.files()) {
            boolean replacedFile = base.hasSegments()
                    ? f.segment() != null && merged.contains(f.segment())
                    : f.tableKind() == Table.INDEX;
            if (!replacedFile) {
                files.add(rebased(base, f));
            }
        }
        files.addAll(total.manifestFiles());
        List<SegmentInfo> segments = new ArrayList<>();
        for (SegmentInfo s : base.segments()) {
            if (!merged.contains(s.id())) {
                segments.add(s);
            }
        }
        segments.addAll(total.segmentInfos());
        RunInfo run = new RunInfo(
                "COMPACTION", target.inputs(), target.startedAt(), Instant.now().toString(), target.options());
        return Manifest.current(
                        base.indexName(),
                        target.generation(),
                        base.model(),
                        base.shards(),
                        base.counts(),
                        base.metadataColumns(),
                        files,
                        run,
                        segments)
                .validate();
    }

    /** A file of the base as the new generation names it: from the index root. */
    private static ManifestFile rebased(Manifest base, ManifestFile f) {
        if (f.shared()) {
            return f;
        }
        return new ManifestFile(
                IndexLayout.INDEX_ROOT_PREFIX + IndexLayout.rootRelative(base.generation(), f.path()),
                f.table(),
                f.shard(),
                f.rows(),
                f.bytes(),
                f.sha256(),
                f.segment(),
                f.kind());
    }
}
