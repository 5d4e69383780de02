package io.imgindex.embed;

import io.imgindex.imaging.Reason;
import io.imgindex.imaging.embed.Devices;
import io.imgindex.imaging.embed.EmbedOptions;
import io.imgindex.imaging.embed.ImageEmbedder;
import io.imgindex.imaging.embed.SharedModels;
import io.imgindex.item.Item;
import io.imgindex.item.ItemAsyncFunction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.api.common.externalresource.ExternalResourceInfo;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;

/**
 * Embeds each decoded item ({@link ImageEmbedder#embed}) through the process-wide {@link SharedModels} batcher and marks it indexed (a
 * later dedup stage may still turn it into a duplicate). A model error or timeout fails only that item, with
 * {@code EMBEDDING_FAILED}. Use with {@code AsyncDataStream.unorderedWait} and a capacity of a few batches.
 *
 * <p>The last {@link #RECENT} distinct byte strings embedded (by their SHA-256) are remembered with their
 * vectors, so an exact copy met again soon (a placeholder image used by thousands of products) is not embedded
 * again: it gets the same vector. That matters in BATCH, where exact copies are found after the embedding.
 */
public class EmbedFunction extends ItemAsyncFunction<float[]> {

    private static final long serialVersionUID = 1L;

    /** The external resource name of GPUs in Flink's configuration ({@code external-resources: gpu}). */
    public static final String FLINK_GPU_RESOURCE = "gpu";

    /** Distinct byte strings remembered with their embeddings, per subtask (about 7 MB at 1792 dimensions). */
    static final int RECENT = 1024;

    private final EmbedOptions options;
    private transient SharedModels.Lease lease;
    private transient ImageEmbedder embedder;
    private transient Map<String, CompletableFuture<float[]>> recent;
    private transient Counter reused;
    private transient Counter embedded;
    private transient Counter failed;

    public EmbedFunction(EmbedOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        lease = SharedModels.acquire(options, devices(options.device(), gpusAssignedByFlink()));
        embedder = ImageEmbedder.embedOnly(lease.batcher());
        embedded = getRuntimeContext().getMetricGroup().counter("imagesEmbedded");
        failed = getRuntimeContext().getMetricGroup().counter("embeddingFailures");
        reused = getRuntimeContext().getMetricGroup().counter("embeddingsReused");
        recent = new LinkedHashMap<>(RECENT * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, CompletableFuture<float[]>> eldest) {
                return size() > RECENT;
            }
        };
    }

    /** The GPU indexes Flink assigned to this task manager (external resource {@code gpu}), if any. */
    private List<String> gpusAssignedByFlink() {
        List<String> indexes = new ArrayList<>();
        for (ExternalResourceInfo gpu : getRuntimeContext().getExternalResourceInfos(FLINK_GPU_RESOURCE)) {
            gpu.getProperty("index").ifPresent(indexes::add);
        }
        indexes.sort(null);
        return indexes;
    }

    /** Where the model runs, given the option and what Flink assigned. */
    static Devices devices(String option, List<String> assigned) {
        return switch (option) {
            case EmbedOptions.CPU -> Devices.cpu("as --embed.device cpu asks");
            case EmbedOptions.GPU -> Devices.allGpus("as --embed.device gpu asks");
            default -> assigned.isEmpty()
                    ? Devices.cpu("no GPU assigned by Flink (external resource '" + FLINK_GPU_RESOURCE + "')")
                    : Devices.gpus(assigned, "assigned by Flink");
        };
    }

    @Override
    protected CompletableFuture<float[]> call(Item item) {
        // Called on the task's mailbox thread only: the map needs no lock.
        String sha = item.sha256;
        if (sha != null) {
            CompletableFuture<float[]> known = recent.get(sha);
            if (known != null && !known.isCompletedExceptionally()) {
                reused.inc();
                return known.thenApply(float[]::clone);
            }
        }
        CompletableFuture<float[]> vector = embedder.embed(item.pixels);
        if (sha != null) {
            recent.put(sha, vector);
        }
        return vector;
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
