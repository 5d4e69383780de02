package io.imgindex.embed;

import io.imgindex.item.Item;
import io.imgindex.item.Progress;
import io.imgindex.item.Status;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Counts what leaves the embedding ({@link Progress#EMBEDDED}, {@link Progress#FAILED_EMBED}) and passes it on
 * untouched; chained right after {@link EmbedFunction}, whose async context cannot hold accumulators.
 */
public class EmbedTally extends ProcessFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    private transient Progress.Count embedded;
    private transient Progress.Count failed;

    @Override
    public void open(Configuration parameters) {
        embedded = Progress.count(getRuntimeContext(), Progress.EMBEDDED);
        failed = Progress.count(getRuntimeContext(), Progress.FAILED_EMBED);
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        if (item.status == Status.INDEXED) {
            embedded.inc();
        } else if (item.status == Status.FAILED) {
            failed.inc();
        }
        out.collect(item);
    }
}
