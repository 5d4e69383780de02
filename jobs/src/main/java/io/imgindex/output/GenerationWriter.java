package io.imgindex.output;

import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.Sha256;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.Table;
import io.imgindex.format.TableWriter;
import io.imgindex.format.segment.SegmentWriter;
import io.imgindex.format.segment.ThumbnailPack;
import io.imgindex.item.Item;
import io.imgindex.item.Progress;
import io.imgindex.item.Status;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Writes terminal items into the three tables of a generation: indexed items into segments of their shard (rows
 * and a graph built over them when the segment is finished: {@link SegmentWriter}), duplicates and failures into
 * their folders. Files are written under a hidden in-progress name and renamed when
 * finished (on an object store, where an upload only appears when complete, straight under the final name).
 * When its input ends, the task sends a {@link GenerationReport} of its files to the committer.
 *
 * <p>File names carry the task's index and attempt number, so a retried task never overwrites a file of the
 * attempt before it; the committer keeps only the files reported by successful tasks.
 *
 * <p>STREAMING: files go to the stream run's folder and are named with a token drawn when the task starts (no
 * restart or restore reuses a name). Before each checkpoint barrier the task finishes its open files and sends
 * their report, tagged with the checkpoint, ahead of the barrier; the committer publishes them once that
 * checkpoint completes. Files begun after the barrier belong to the next checkpoint. The writer keeps no state:
 * what it had not reported when it failed is written again from the replayed input, under new names.
 */
public class GenerationWriter extends AbstractStreamOperator<GenerationReport>
        implements OneInputStreamOperator<Item, GenerationReport>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    private final GenerationTarget target;
    private final SegmentSettings segments;
    private transient Map<String, OpenFile> open;
    private transient Map<Integer, SegmentWriter> openSegments;
    private transient List<FileEntry> finished;
    private transient List<SegmentEntry> finishedSegments;
    private transient GenerationReport report;
    private transient Progress.Count indexedCount;
    private transient Progress.Count duplicateCount;
    private transient Progress.Count failedCount;
    private transient int sequence;
    private transient String token;
    private transient java.nio.file.Path localDir;

    public GenerationWriter(GenerationTarget target, SegmentSettings segments) {
        this.target = target;
        this.segments = segments;
    }

    /** The writer task of an item: an index row goes to the task of its shard, the rest spread by id. */
    public static int partitionKey(Item item, int shards) {
        if (item.status == Status.INDEXED) {
            return ShardAssignment.shardOf(item.id, shards);
        }
        String key = item.id != null ? item.id : item.url;
        return shards + Math.floorMod(key.hashCode(), 1 << 16);
    }

    @Override
    public void open() throws Exception {
        super.open();
        open = new HashMap<>();
        openSegments = new HashMap<>();
        finished = new ArrayList<>();
        finishedSegments = new ArrayList<>();
        report = new GenerationReport();
        indexedCount = Progress.count(getRuntimeContext(), Progress.INDEXED);
        duplicateCount = Progress.count(getRuntimeContext(), Progress.DUPLICATES);
        failedCount = Progress.count(getRuntimeContext(), Progress.FAILED_WRITTEN);
        localDir = localDir();
        if (target.streaming()) {
            // Random, with the attempt number for people reading the names: unique across failovers and restores.
            token = String.format(
                    "%08x%02x",
                    ThreadLocalRandom.current().nextInt(),
                    getRuntimeContext().getTaskInfo().getAttemptNumber() & 0xff);
        }
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (target.streaming()) {
            emitReport(checkpointId);
        }
    }

    @Override
    public void processElement(StreamRecord<Item> record) throws Exception {
        Item item = record.getValue();
        if (item.inBase) {
            return; // an append's base: its segment is listed as it is
        }
        switch (item.status) {
            case INDEXED:
                int shard = ShardAssignment.shardOf(item.id, target.shards());
                writeIndex(shard, item);
                indexedCount.inc();
                break;
            case DUPLICATE:
                duplicateCount.inc();
                report.duplicatesByMatch.merge(item.match, 1L, Long::sum);
                OpenFile duplicates = openFile(Table.DUPLICATES, -1);
                duplicates.thumbnails.add(item.thumbnail);
                duplicates
                        .<DuplicateRow>writer()
                        .write(new DuplicateRow(
                                item.id,
                                item.url,
                                item.duplicateOf,
                                item.similarity,
                                item.match,
                                item.sha256,
                                item.timestampMillis,
                                item.source,
                                item.metadata));
                break;
            case FAILED:
                failedCount.inc();
                report.failedByReason.merge(item.reason, 1L, Long::sum);
                this.<FailureRow>file(Table.FAILURES, -1)
                        .write(new FailureRow(
                                item.url,
                                item.id,
                                item.reason,
                                item.message == null ? "" : item.message,
                                item.httpStatus,
                                item.attempts,
                                item.timestampMillis,
                                item.source,
                                item.metadata));
                break;
            default:
                throw new IllegalStateException("item reached the writer unfinished: " + item);
        }
        for (Map.Entry<String, String> e : item.metadata.entrySet()) {
            report.metadataColumns.merge(
                    e.getKey(), isNumber(e.getValue()) ? "number" : "string", GenerationReport::mergeColumnType);
        }
        rollIfFull();
    }

    private void writeIndex(int shard, Item item) throws IOException {
        if (item.vector == null || item.vector.length != target.dimension()) {
            throw new IllegalStateException("indexed item " + item.id + " has a vector of "
                    + (item.vector == null ? "null" : item.vector.length) + " floats, the model makes "
                    + target.dimension());
        }
        SegmentWriter segment = openSegments.get(shard);
        if (segment == null) {
            segment = SegmentWriter.open(
                    new FlinkSegmentOutput(target.indexRoot()),
                    segmentId(shard),
                    shard,
                    target.model(),
                    segments.graph(),
                    localDir,
                    segments.buildThreads());
            openSegments.put(shard, segment);
        }
        segment.write(
                new IndexRow(
                        item.id,
                        item.url,
                        item.vector,
                        item.modelId,
                        item.width,
                        item.height,
                        item.format,
                        item.bytes,
                        item.sha256,
                        item.timestampMillis,
                        item.source,
                        item.metadata),
                item.thumbnail);
        if (segment.rows() >= segments.maxRows()) {
            finishSegment(openSegments.remove(shard));
        }
    }

    /**
     * A segment's id: this run, the shard, this writer task and its attempt (or, streaming, its token), and a
     * sequence number: no other run, task, attempt or segment of this task has it.
     */
    private String segmentId(int shard) {
        int task = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
        String attempt = target.streaming()
                ? token
                : Integer.toString(getRuntimeContext().getTaskInfo().getAttemptNumber());
        return String.format("%s-s%d-w%d-%s-%d", target.runId(), shard, task, attempt, sequence++);
    }

    private void finishSegment(SegmentWriter segment) throws IOException {
        SegmentWriter.Written w = segment.finish();
        for (ManifestFile f : w.files()) {
            finished.add(FileEntry.of(f));
        }
        finishedSegments.add(SegmentEntry.of(w.info()));
        LOG.info(
                "Segment {}: {} rows of shard {}, graph built in {} ms",
                w.info().id(),
                w.info().rows(),
                w.info().shard(),
                w.info().buildMillis());
    }

    /** The task manager's temporary folder (its I/O directories), where vector spools and graphs are made. */
    private java.nio.file.Path localDir() {
        if (segments.localDir() != null) {
            return Paths.get(segments.localDir());
        }
        try {
            String[] dirs = getContainingTask().getEnvironment().getIOManager().getSpillingDirectoriesPaths();
            if (dirs.length > 0) {
                int task = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
                return Paths.get(dirs[task % dirs.length], "imgindex-segments");
            }
        } catch (RuntimeException e) {
            // No task environment (an operator test harness): the JVM's temporary folder.
        }
        return Paths.get(System.getProperty("java.io.tmpdir"), "imgindex-segments");
    }

    @Override
    public void endInput() throws Exception {
        emitReport(GenerationReport.END_OF_INPUT);
    }

    /** Finishes the open files and sends what this task wrote since its last report. */
    private void emitReport(long checkpointId) throws IOException {
        for (OpenFile f : open.values()) {
            finished.addAll(f.finish());
        }
        open.clear();
        for (SegmentWriter segment : openSegments.values()) {
            finishSegment(segment);
        }
        openSegments.clear();
        report.files = finished.toArray(new FileEntry[0]);
        report.segments = finishedSegments.toArray(new SegmentEntry[0]);
        finishedSegments = new ArrayList<>();
        report.checkpoint = checkpointId;
        report.writerToken = token;
        output.collect(new StreamRecord<>(report));
        finished = new ArrayList<>();
        report = new GenerationReport();
    }

    @Override
    public void close() throws Exception {
        // After a failure, abandon open files: the committer never lists them and removes them.
        if (open != null) {
            for (OpenFile f : open.values()) {
                f.abandon();
            }
            open.clear();
        }
        if (openSegments != null) {
            for (SegmentWriter segment : openSegments.values()) {
                segment.abandon();
            }
            openSegments.clear();
        }
        super.close();
    }

    private void rollIfFull() throws IOException {
        List<String> full = new ArrayList<>();
        for (Map.Entry<String, OpenFile> e : open.entrySet()) {
            if (e.getValue().writer.estimatedSize() >= target.fileSizeBytes()) {
                full.add(e.getKey());
            }
        }
        for (String key : full) {
            finished.addAll(open.remove(key).finish());
        }
    }

    private <T> TableWriter<T> file(Table table, int shard) throws IOException {
        return openFile(table, shard).writer();
    }

    private OpenFile openFile(Table table, int shard) throws IOException {
        String key = table.dirName() + "/" + shard;
        OpenFile f = open.get(key);
        if (f == null) {
            int task = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            String fileName = target.streaming()
                    ? IndexLayout.partFileName(task, token, sequence++)
                    : IndexLayout.partFileName(
                            task,
                            IndexLayout.batchToken(
                                    target.runId(),
                                    getRuntimeContext().getTaskInfo().getAttemptNumber()),
                            sequence++);
            f = OpenFile.create(target, table, shard, fileName, localDir);
            open.put(key, f);
        }
        return f;
    }

    private static boolean isNumber(String v) {
        if (v == null || v.isEmpty() || v.length() > 40) {
            return false;
        }
        try {
            return Double.isFinite(Double.parseDouble(v));
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /**
     * A data file being written; a duplicates file also collects its rows' thumbnails, written beside it as a
     * thumbnail pack when it is finished (if any row had one).
     */
    private static final class OpenFile {
        final TableWriter<?> writer;
        final FileSystem fs;
        final Path writing;
        final Path done;
        final String relative;
        final ThumbnailPack.Writer thumbnails;

        private OpenFile(
                TableWriter<?> writer,
                FileSystem fs,
                Path writing,
                Path done,
                String relative,
                ThumbnailPack.Writer thumbnails) {
            this.writer = writer;
            this.fs = fs;
            this.writing = writing;
            this.done = done;
            this.relative = relative;
            this.thumbnails = thumbnails;
        }

        static OpenFile create(
                GenerationTarget target, Table table, int shard, String fileName, java.nio.file.Path localDir)
                throws IOException {
            String inDir = IndexLayout.tableDir(table, shard) + "/" + fileName;
            String relative = target.manifestPath(inDir);
            Path done = new Path(target.writeDir(), inDir);
            FileSystem fs = done.getFileSystem();
            boolean rename = !Generations.isObjectStore(fs);
            Path writing = rename ? new Path(done.getParent(), "." + fileName + ".inprogress") : done;
            FSDataOutputStream out = fs.create(writing, FileSystem.WriteMode.NO_OVERWRITE);
            TableWriter<?> writer;
            ThumbnailPack.Writer thumbnails = null;
            switch (table) {
                case DUPLICATES:
                    writer = TableWriter.duplicates(out, relative);
                    Files.createDirectories(localDir);
                    thumbnails = new ThumbnailPack.Writer(Files.createTempFile(localDir, fileName, ".thumbnails"));
                    break;
                default:
                    writer = TableWriter.failures(out, relative);
                    break;
            }
            return new OpenFile(writer, fs, writing, done, relative, thumbnails);
        }

        @SuppressWarnings("unchecked")
        <T> TableWriter<T> writer() {
            return (TableWriter<T>) writer;
        }

        /** Finishes the file (and its thumbnail pack): what the manifest lists of it. */
        List<FileEntry> finish() throws IOException {
            ManifestFile rows = writer.finish();
            List<FileEntry> entries = new ArrayList<>(List.of(FileEntry.of(rows)));
            if (!writing.equals(done) && !fs.rename(writing, done)) {
                throw new IOException("could not rename " + writing + " to " + done);
            }
            if (thumbnails != null) {
                try (thumbnails) {
                    if (thumbnails.present() > 0) {
                        entries.add(FileEntry.of(writePack(rows)));
                    }
                }
            }
            return entries;
        }

        /** The pack beside the rows file, written like it (in progress, then renamed where a rename is atomic). */
        private ManifestFile writePack(ManifestFile rows) throws IOException {
            Path packDone = new Path(done.getParent(), IndexLayout.thumbnailsBeside(done.getName()));
            Path packWriting = writing.equals(done)
                    ? packDone
                    : new Path(done.getParent(), "." + packDone.getName() + ".inprogress");
            MessageDigest sha = Sha256.newDigest();
            CountingOutputStream counted;
            try (FSDataOutputStream out = fs.create(packWriting, FileSystem.WriteMode.NO_OVERWRITE);
                    DigestOutputStream digest = new DigestOutputStream(out, sha)) {
                counted = new CountingOutputStream(digest);
                thumbnails.writeTo(counted);
            }
            if (!packWriting.equals(packDone) && !fs.rename(packWriting, packDone)) {
                throw new IOException("could not rename " + packWriting + " to " + packDone);
            }
            return new ManifestFile(
                    IndexLayout.thumbnailsBeside(relative),
                    rows.table(),
                    rows.shard(),
                    rows.rows(),
                    counted.count,
                    Sha256.hex(sha),
                    null,
                    ManifestFile.THUMBNAILS);
        }

        void abandon() {
            try {
                writer.close();
                if (thumbnails != null) {
                    thumbnails.close();
                }
            } catch (IOException | RuntimeException e) {
                // The file is garbage either way; the committer deletes what the manifest does not list.
            }
        }
    }

    /** Counts the bytes written through it. */
    private static final class CountingOutputStream extends FilterOutputStream {
        long count;

        CountingOutputStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
