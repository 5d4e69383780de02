package io.imgindex.output;

import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.Table;
import io.imgindex.format.TableWriter;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemKind;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * Writes terminal items into the three tables of a generation: indexed items into their shard's folder,
 * duplicates and failures into theirs. Files are written under a hidden in-progress name and renamed when
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
    private transient Map<String, OpenFile> open;
    private transient List<FileEntry> finished;
    private transient GenerationReport report;
    private transient int sequence;
    private transient String token;

    public GenerationWriter(GenerationTarget target) {
        this.target = target;
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
        finished = new ArrayList<>();
        report = new GenerationReport();
        if (target.streaming()) {
            // Random, with the attempt number for people reading the names: unique across failovers and restores.
            token = String.format(
                    "%08x%02x",
                    java.util.concurrent.ThreadLocalRandom.current().nextInt(),
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
        switch (item.status) {
            case INDEXED:
                int shard = ShardAssignment.shardOf(item.id, target.shards());
                writeIndex(shard, item);
                break;
            case DUPLICATE:
                report.duplicatesByMatch.merge(item.match, 1L, Long::sum);
                this.<DuplicateRow>file(Table.DUPLICATES, -1)
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
        this.<IndexRow>file(Table.INDEX, shard)
                .write(new IndexRow(
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
                        item.metadata));
    }

    @Override
    public void endInput() throws Exception {
        emitReport(GenerationReport.END_OF_INPUT);
    }

    /** Finishes the open files and sends what this task wrote since its last report. */
    private void emitReport(long checkpointId) throws IOException {
        for (OpenFile f : open.values()) {
            finished.add(f.finish());
        }
        open.clear();
        report.files = finished.toArray(new FileEntry[0]);
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
            finished.add(open.remove(key).finish());
        }
    }

    @SuppressWarnings("unchecked")
    private <T> TableWriter<T> file(Table table, int shard) throws IOException {
        String key = table.dirName() + "/" + shard;
        OpenFile f = open.get(key);
        if (f == null) {
            int task = getRuntimeContext().getTaskInfo().getIndexOfThisSubtask();
            String fileName = target.streaming()
                    ? IndexLayout.partFileName(task, token, sequence++)
                    : IndexLayout.partFileName(
                            task, getRuntimeContext().getTaskInfo().getAttemptNumber(), sequence++);
            f = OpenFile.create(target, table, shard, fileName);
            open.put(key, f);
        }
        return (TableWriter<T>) f.writer;
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

    /** A data file being written. */
    private static final class OpenFile {
        final TableWriter<?> writer;
        final FileSystem fs;
        final Path writing;
        final Path done;

        private OpenFile(TableWriter<?> writer, FileSystem fs, Path writing, Path done) {
            this.writer = writer;
            this.fs = fs;
            this.writing = writing;
            this.done = done;
        }

        static OpenFile create(GenerationTarget target, Table table, int shard, String fileName) throws IOException {
            String inDir = IndexLayout.tableDir(table, shard) + "/" + fileName;
            String relative = target.manifestPath(inDir);
            Path done = new Path(target.writeDir(), inDir);
            FileSystem fs = done.getFileSystem();
            boolean rename = fs.getKind() != FileSystemKind.OBJECT_STORE;
            Path writing = rename ? new Path(done.getParent(), "." + fileName + ".inprogress") : done;
            FSDataOutputStream out = fs.create(writing, FileSystem.WriteMode.NO_OVERWRITE);
            TableWriter<?> writer;
            switch (table) {
                case INDEX:
                    writer = TableWriter.index(out, relative, shard);
                    break;
                case DUPLICATES:
                    writer = TableWriter.duplicates(out, relative);
                    break;
                default:
                    writer = TableWriter.failures(out, relative);
                    break;
            }
            return new OpenFile(writer, fs, writing, done);
        }

        FileEntry finish() throws IOException {
            FileEntry entry = FileEntry.of(writer.finish());
            if (!writing.equals(done) && !fs.rename(writing, done)) {
                throw new IOException("could not rename " + writing + " to " + done);
            }
            return entry;
        }

        void abandon() {
            try {
                writer.close();
            } catch (IOException | RuntimeException e) {
                // The file is garbage either way; the committer deletes what the manifest does not list.
            }
        }
    }
}
