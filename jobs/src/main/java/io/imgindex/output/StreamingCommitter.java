package io.imgindex.output;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.format.Counts;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.RunInfo;
import io.imgindex.format.SegmentInfo;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeutils.base.array.BytePrimitiveArraySerializer;
import org.apache.flink.core.fs.Path;
import org.apache.flink.runtime.state.StateInitializationContext;
import org.apache.flink.runtime.state.StateSnapshotContext;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a streaming run (parallelism 1): every completed checkpoint that brought anything new becomes a new
 * generation of the index, whose manifest lists every file the run has committed so far (they stay in the run's
 * folder, {@code streams/<run>/}, and each manifest names them relative to the index root), with counts that add
 * up: {@code read == indexed + duplicates + failed + in_flight}. Then {@code _LATEST} moves to it, and servers
 * that follow it switch over. Emits each manifest's path.
 *
 * <p>Protocol (a two-phase commit on Flink's checkpoints). The writers and the input tally send their reports
 * ahead of each checkpoint barrier; with aligned checkpoints all reports before barrier {@code c} have arrived
 * when this operator snapshots {@code c}, so it stores them as pending for {@code c} in its operator state. When
 * {@code c} completes, they are published. A restored state's pending reports belong to a checkpoint that did
 * complete (the one restored), so they are published at once; a restore can publish the same content twice under
 * two generation numbers, never lose it or publish it half. Nothing of a failed attempt that was not in a
 * completed checkpoint is ever listed: its input is replayed and written again under new names; its files are
 * deleted at the first commit after the restart.
 *
 * <p>A restore from an older savepoint continues from that savepoint's view of the index: the next generation
 * lists what the savepoint had committed, plus what comes after; the generations committed in between stay on
 * the store (a server can be switched back to them).
 */
public class StreamingCommitter extends AbstractStreamOperator<String>
        implements OneInputStreamOperator<GenerationReport, String>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    /** Its own logger (the one inherited is named after Flink's base class). */
    private static final Logger LOG = LoggerFactory.getLogger(StreamingCommitter.class);

    private static final ObjectMapper JSON =
            new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final GenerationTarget target;
    private final int retain;
    private final TreeMap<String, String> storeSettings;
    private transient ListState<byte[]> stored;
    private transient State state;
    private transient List<GenerationReport> received;
    private transient Set<String> liveTokens;
    private transient boolean leftoversRemoved;

    /** What survives a restart: what is committed, and the reports waiting for their checkpoint. */
    public static class State {
        /** Everything committed so far: every file (by manifest path) and the counts, as one total report. */
        public GenerationReport committed = new GenerationReport();
        /** The last generation published, 0 before the first. */
        public long generation;
        /** The checkpoint of the last generation published. */
        public long checkpoint = -1;
        /** Reports by the checkpoint they wait for. */
        public TreeMap<Long, List<GenerationReport>> pending = new TreeMap<>();
    }

    public StreamingCommitter(GenerationTarget target) {
        this(target, 0, Map.of());
    }

    /**
     * @param retain generations to keep after each commit (older ones are deleted), 0 to keep all
     * @param storeSettings the client's object store settings ({@link CommitWrites#storeSettings})
     */
    public StreamingCommitter(GenerationTarget target, int retain, Map<String, String> storeSettings) {
        if (!target.streaming()) {
            throw new IllegalArgumentException("a streaming committer needs a streaming target");
        }
        this.target = target;
        this.retain = retain;
        this.storeSettings = new TreeMap<>(storeSettings);
    }

    @Override
    public void initializeState(StateInitializationContext context) throws Exception {
        super.initializeState(context);
        stored = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("streaming-commits", BytePrimitiveArraySerializer.INSTANCE));
        state = new State();
        received = new ArrayList<>();
        liveTokens = new HashSet<>();
        if (context.isRestored()) {
            for (byte[] bytes : stored.get()) {
                state = JSON.readValue(bytes, State.class);
            }
            long restored = context.getRestoredCheckpointId().orElse(Long.MAX_VALUE);
            LOG.info(
                    "Restored the stream's commits at checkpoint {}: generation {}, {} files, {} reports pending",
                    restored,
                    state.generation,
                    state.committed.files.length,
                    state.pending.values().stream().mapToInt(List::size).sum());
            // Pending reports in a restored state were part of a completed checkpoint: publish them now.
            commitUpTo(Long.MAX_VALUE, restored, false);
        } else if (target.baseGeneration() > 0) {
            adoptBase(target.baseGeneration());
        }
    }

    /**
     * Starts from a committed generation: its files (named from the index root, where they stay) and counts become
     * what this run has committed, so every commit lists them too. Records that generation had in flight belong
     * to the run (and savepoint) that read them, not to this one: they are left out, with a warning.
     */
    private void adoptBase(long generation) throws IOException {
        Manifest base = Generations.readManifest(Generations.manifestPath(target.indexRoot(), generation));
        Counts c = base.counts();
        if (c.inFlight() > 0) {
            LOG.warn(
                    "Generation {} had {} records in flight; they are not carried over (restore that run's savepoint"
                            + " to finish them)",
                    generation,
                    c.inFlight());
        }
        state.committed = GenerationReport.ofBase(base);
        state.generation = generation;
        LOG.info("Stream {} builds on generation {}: {}", target.streamRun(), generation, c.summary());
    }

    @Override
    public void processElement(StreamRecord<GenerationReport> record) {
        GenerationReport r = record.getValue();
        if (r.writerToken != null) {
            liveTokens.add(r.writerToken);
        }
        received.add(r);
    }

    @Override
    public void snapshotState(StateSnapshotContext context) throws Exception {
        super.snapshotState(context);
        if (!received.isEmpty()) {
            state.pending
                    .computeIfAbsent(context.getCheckpointId(), k -> new ArrayList<>())
                    .addAll(received);
            received = new ArrayList<>();
        }
        stored.update(List.of(JSON.writeValueAsBytes(state)));
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        commitUpTo(checkpointId, checkpointId, true);
    }

    @Override
    public void endInput() throws Exception {
        // A bounded input (tests, a finite queue drain): what arrived is complete.
        state.pending
                .computeIfAbsent(GenerationReport.END_OF_INPUT, k -> new ArrayList<>())
                .addAll(received);
        received = new ArrayList<>();
        commitUpTo(GenerationReport.END_OF_INPUT, state.checkpoint, true);
    }

    /**
     * Adds the reports pending for checkpoints up to {@code upTo} and publishes a generation if anything is new.
     *
     * @param clean whether every live writer has reported since this operator started, so that the files of
     *     failed attempts can be told apart and removed
     */
    private void commitUpTo(long upTo, long checkpoint, boolean clean) throws IOException {
        boolean changed = false;
        while (!state.pending.isEmpty() && state.pending.firstKey() <= upTo) {
            for (GenerationReport r : state.pending.pollFirstEntry().getValue()) {
                state.committed.add(r);
                changed |= r.bringsAnything();
            }
        }
        if (changed) {
            publish(checkpoint == GenerationReport.END_OF_INPUT ? state.checkpoint : checkpoint);
        }
        if (clean && !leftoversRemoved) {
            removeLeftovers();
            leftoversRemoved = true;
        }
    }

    private void publish(long checkpoint) throws IOException {
        adoptCompaction();
        Counts counts = state.committed.counts(true);
        if (!counts.balanced()) {
            // More rows than records read means something was written twice: never publish that.
            throw new IllegalStateException("refusing to commit checkpoint " + checkpoint + " of stream "
                    + target.streamRun() + ": the counts do not add up, " + counts.summary() + ", failed by reason "
                    + state.committed.failedByReason);
        }
        Path root = target.indexRoot();
        Map<String, String> settings = CommitWrites.storeSettings(storeSettings, getRuntimeContext());
        long generation = Generations.reserveNext(
                root,
                "{\"stream\":\"" + target.streamRun() + "\",\"checkpoint\":" + checkpoint + ",\"started_at\":\""
                        + target.startedAt() + "\"}\n",
                settings);
        String now = Instant.now().toString();
        Manifest manifest = Manifest.current(
                        target.name(),
                        generation,
                        target.model(),
                        target.shards(),
                        counts,
                        state.committed.metadataColumns,
                        state.committed.manifestFiles(),
                        new RunInfo(
                                target.mode(),
                                target.inputs(),
                                target.startedAt(),
                                now,
                                target.options(),
                                target.streamRun(),
                                checkpoint),
                        state.committed.segmentInfos())
                .validate();
        Path manifestPath = Generations.manifestPath(root, generation);
        Generations.writeAtomically(manifestPath, ManifestCodec.encode(manifest));
        Generations.moveLatest(root, generation, now, settings);
        state.generation = generation;
        state.checkpoint = checkpoint;
        if (retain > 0) {
            Generations.retain(root, retain);
        }
        LOG.info(
                "Committed checkpoint {} of stream {} as generation {} of {}: {}",
                checkpoint,
                target.streamRun(),
                generation,
                target.name(),
                counts.summary());
        output.collect(new StreamRecord<>(manifestPath.toString()));
    }

    /**
     * Takes over a compaction of what this stream committed: when {@code _LATEST} names a compaction
     * ({@code imgindex compact}) of a generation whose merged segments are all among this stream's committed ones,
     * those segments are replaced by the compacted ones in everything the stream commits from now on. The rows are
     * the same (the compaction checked it), so the counts do not change. Without this a running stream would list its
     * small segments again at its next commit and undo the compaction.
     */
    private void adoptCompaction() throws IOException {
        Path root = target.indexRoot();
        Optional<LatestPointer> latest = Generations.readLatest(root);
        if (latest.isEmpty() || latest.get().generation() <= state.generation) {
            return;
        }
        Manifest compacted = Generations.readManifest(
                Generations.manifestPath(root, latest.get().generation()));
        if (!"COMPACTION".equals(compacted.run().mode())) {
            return;
        }
        long baseGeneration = compacted.run().options().stream()
                .filter(o -> o.startsWith("compact="))
                .mapToLong(o -> Long.parseLong(o.substring("compact=".length())))
                .findFirst()
                .orElse(-1);
        if (baseGeneration < 0) {
            return;
        }
        Manifest base = Generations.readManifest(Generations.manifestPath(root, baseGeneration));
        Set<String> kept = new HashSet<>();
        compacted.segments().forEach(s -> kept.add(s.id()));
        Set<String> inBase = new HashSet<>();
        base.segments().forEach(s -> inBase.add(s.id()));
        Set<String> merged = new HashSet<>(inBase);
        merged.removeAll(kept);
        Set<String> ours = new HashSet<>();
        for (SegmentEntry e : state.committed.segments) {
            ours.add(e.id);
        }
        if (merged.isEmpty() || !ours.containsAll(merged)) {
            return; // not a compaction of what this stream committed
        }
        List<SegmentEntry> segments = new ArrayList<>();
        for (SegmentEntry e : state.committed.segments) {
            if (!merged.contains(e.id)) {
                segments.add(e);
            }
        }
        List<FileEntry> files = new ArrayList<>();
        for (FileEntry f : state.committed.files) {
            if (f.segment == null || !merged.contains(f.segment)) {
                files.add(f);
            }
        }
        for (SegmentInfo s : compacted.segments()) {
            if (!inBase.contains(s.id()) && !ours.contains(s.id())) {
                segments.add(SegmentEntry.of(s));
                for (ManifestFile f : compacted.filesOf(s).values()) {
                    files.add(FileEntry.of(f));
                }
            }
        }
        state.committed.segments = segments.toArray(new SegmentEntry[0]);
        state.committed.files = files.toArray(new FileEntry[0]);
        LOG.info(
                "Stream {} takes over compaction generation {}: {} segments merged",
                target.streamRun(),
                compacted.generation(),
                merged.size());
    }

    /**
     * Deletes the files in this run's folder that no commit lists and no writer of this attempt made: what
     * failed attempts left behind. Every writer reports before each barrier, so by the first commit every live
     * writer's token is known.
     */
    private void removeLeftovers() throws IOException {
        Set<String> committed = new HashSet<>();
        for (FileEntry f : state.committed.files) {
            committed.add(f.path);
        }
        Generations.removeDataFiles(
                target.writeDir(),
                relative -> {
                    String token = IndexLayout.partFileToken(relative.substring(relative.indexOf('/') + 1));
                    return token != null
                            && !liveTokens.contains(token)
                            && !committed.contains(target.manifestPath(relative));
                },
                "written by a failed attempt, never committed");
        Set<String> committedSegments = new HashSet<>();
        for (SegmentEntry e : state.committed.segments) {
            committedSegments.add(e.id);
        }
        Generations.removeRunSegments(
                root(),
                target.runId(),
                id -> !committedSegments.contains(id) && !liveTokens.contains(segmentToken(id)),
                "written by a failed attempt, never committed");
    }

    private Path root() {
        return target.indexRoot();
    }

    /** The writer token in a segment id {@code <run>-s<shard>-w<task>-<token>-<sequence>}, or null. */
    private String segmentToken(String id) {
        String[] parts = id.substring(target.runId().length() + 1).split("-");
        return parts.length == 4 ? parts[2] : null;
    }
}
