package io.imgindex.embed;

import io.imgindex.item.InFlight;
import io.imgindex.item.Item;
import io.imgindex.item.Reason;
import java.util.Collections;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Embeds each decoded item through the process-wide {@link SharedModels} batcher and marks it indexed (a
 * later dedup stage may still turn it into a duplicate). A model error or timeout fails only that item, with
 * {@code EMBEDDING_FAILED}. Use with {@code AsyncDataStream.unorderedWait} and a capacity of a few batches.
 */
public class EmbedFunction extends RichAsyncFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    private final EmbedOptions options;
    private transient SharedModels.Lease lease;
    private transient InFlight inFlight;
    private transient Counter embedded;
    private transient Counter failed;

    public EmbedFunction(EmbedOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        lease = SharedModels.acquire(options);
        inFlight = new InFlight();
        embedded = getRuntimeContext().getMetricGroup().counter("imagesEmbedded");
        failed = getRuntimeContext().getMetricGroup().counter("embeddingFailures");
    }

    @Override
    public void asyncInvoke(Item item, ResultFuture<Item> out) {
        if (item.isTerminal()) {
            out.complete(Collections.singleton(item));
            return;
        }
        inFlight.start(item);
        lease.batcher()
                .submit(item.pixels)
                .whenComplete(
                        (vector, error) -> {
                            if (!inFlight.claim(item)) {
                                return; // timed out and emitted already
                            }
                            if (error != null) {
                                failed.inc();
                                item.fail(Reason.EMBEDDING_FAILED, "model " + options.card().id() + ": " + error);
                            } else {
                                embedded.inc();
                                item.indexed(vector, options.card().id());
                            }
                            out.complete(Collections.singleton(item));
                        });
    }

    @Override
    public void timeout(Item item, ResultFuture<Item> out) {
        if (!inFlight.claim(item)) {
            return;
        }
        failed.inc();
        out.complete(Collections.singleton(item.fail(Reason.EMBEDDING_FAILED, "model " + options.card().id()
                + " did not answer in time")));
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
