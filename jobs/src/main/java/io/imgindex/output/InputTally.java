package io.imgindex.output;

import io.imgindex.item.Item;
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
 * written: {@code read == indexed + duplicates + failed}.
 */
public class InputTally extends AbstractStreamOperator<Item>
        implements OneInputStreamOperator<Item, Item>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    /** Where the counts go. */
    public static final OutputTag<GenerationReport> REPORTS =
            new OutputTag<>("input-tally", TypeInformation.of(GenerationReport.class));

    private transient long read;
    private transient long skipped;

    @Override
    public void processElement(StreamRecord<Item> record) {
        if (record.getValue().status == Status.SKIPPED) {
            skipped++;
            return;
        }
        read++;
        output.collect(record);
    }

    @Override
    public void endInput() {
        GenerationReport report = new GenerationReport();
        report.read = read;
        report.skippedLines = skipped;
        output.collect(REPORTS, new StreamRecord<>(report));
    }
}
