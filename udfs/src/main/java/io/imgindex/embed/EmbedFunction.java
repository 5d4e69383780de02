package io.imgindex.embed;

import io.imgindex.item.Item;
import io.imgindex.item.ItemAsyncFunction;
import io.imgindex.item.Reason;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;

/**
 * Embeds each decoded item through the process-wide {@link SharedModels} batcher and marks it indexed (a
 * later dedup stage may still turn it into a duplicate). A model error or timeout fails only that item, with
 * {@code EMBEDDING_FAILED}. Use with {@code AsyncDataStream.unorderedWait} and a capacity of a few batches.
 */
public class EmbedFunction extends ItemAsyncFunction<float[]> {

    private static final long serialVersionUID = 1L;

    private final EmbedOptions options;
    private transient SharedModels.Lease lease;
    private transient Counter embedded;
    private transient Counter failed;

    public EmbedFunction(EmbedOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        lease = SharedModels.acquire(options);
        embedded = getRuntimeContext().getMetricGroup().counter("imagesEmbedded");
        failed = getRuntimeContext().getMetricGroup().counter("embeddingFailures");
    }

    @Override
    protected CompletableFuture<float[]> call(Item item) {
        return lease.batcher().submit(item.pixels);
    }

    @Override
    protected void apply(Item item, float[] vector, Throwable error) {
        if (error != null) {
            failed.inc();
            item.fail(Reason.EMBEDDING_FAILED, "model " + options.card().id() + ": " + error);
        } else {
            embedded.inc();
            item.indexed(vector, options.card().id());
        }
    }

    @Override
    protected void timedOut(Item item) {
        failed.inc();
        item.fail(Reason.EMBEDDING_FAILED, "model " + options.card().id() + " did not answer in time");
    }

    @Override
    public void close() {
        if (lease != null) {
            lease.close();
        }
    }
}
