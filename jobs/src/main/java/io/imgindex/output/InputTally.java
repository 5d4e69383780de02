package io.imgindex.output;

import io.imgindex.item.Item;
import io.imgindex.item.Progress;
import io.imgindex.item.Status;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.util.OutputTag;

/**
 * Counts the input at the source: records read and lines skipped. Passes records on, drops skipped lines, and
 * when the input ends sends its counts on {@link #REPORTS} to the committer, which checks them against the rows
 * written: {@code read == indexed + duplicates + failed}. In STREAMING it also sends what it counted since its
 * last report ahead of every checkpoint barrier, so each commit knows how many records came before it.
 */
public class InputTally extends AbstractStreamOperator<Item>
        implements OneInputStreamOperator<Item, Item>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    /** Where the counts go. */
    public static final OutputTag<GenerationReport> REPORTS =
            new OutputTag<>("input-tally", TypeInformation.of(GenerationReport.class));

    private final boolean streaming;
    private transient long read;
    private transient long skipped;
    private transient Progress.Count readCount;
    private transient Progress.Count skippedCount;

    public InputTally() {
        this(false);
    }

    /** @param streaming whether to report before each checkpoint barrier */
    public InputTally(boolean streaming) {
        this.streaming = streaming;
    }

    @Override
    public void open() throws Exception {
        super.open();
        readCount = Progress.count(getRuntimeContext(), Progress.READ);
        skippedCount = Progress.count(getRuntimeContext(), Progress.SKIPPED);
    }

    @Override
    public void prepareSnapshotPreBarrier(long checkpointId) throws Exception {
        super.prepareSnapshotPreBarrier(checkpointId);
        if (streaming) {
            report(checkpointId);
        }
    }

    @Override
    public void processElement(StreamRecord<Item> record) {
        if (record.getValue().status == Status.SKIPPED) {
            skipped++;
            skippedCount.inc();
            return;
        }
        read++;
        readCount.inc();
        output.collect(record);
    }

    @Override
    public void endInput() {
        report(GenerationReport.END_OF_INPUT);
    }

    private void report(long checkpointId) {
        GenerationReport report = new GenerationReport();
        report.read = read;
        report.skippedLines = skipped;
        report.checkpoint = checkpointId;
        output.collect(REPORTS, new StreamRecord<>(report));
        read = 0;
        skipped = 0;
    }
}
