package io.imgindex.imaging.embed;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Collects embedding requests from any number of threads into batches for one {@link EmbeddingModel}: a batch
 * goes to the model when it is full or when its first request has waited {@code maxWait}. A batch that fails is
 * retried image by image, so one bad image fails alone.
 *
 * <p>Thread-safe. One worker thread calls the model (TF parallelises inside the call); {@link #close()} stops
 * it and fails what is still queued.
 */
public final class EmbeddingBatcher implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingBatcher.class);

    private record Request(byte[] pixels, CompletableFuture<float[]> result) {}

    private final EmbeddingModel model;
    private final boolean ownsModel;
    private final int batchSize;
    private final long maxWaitNanos;
    private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
    private final Thread worker;
    private volatile boolean closed;

    /** A batcher that owns its model and closes it with itself. */
    public EmbeddingBatcher(EmbeddingModel model, int batchSize, Duration maxWait) {
        this(model, batchSize, maxWait, true);
    }

    /** @param ownsModel whether {@link #close()} closes the model too */
    public EmbeddingBatcher(EmbeddingModel model, int batchSize, Duration maxWait, boolean ownsModel) {
        this.ownsModel = ownsModel;
        this.model = model;
        this.batchSize = batchSize;
        this.maxWaitNanos = maxWait.toNanos();
        this.worker = new Thread(this::run, "imgindex-embed-" + model.card().id());
        this.worker.setDaemon(true);
        this.worker.start();
    }

    /** Queues one image; the future completes with its normalised embedding or the model's error. */
    public CompletableFuture<float[]> submit(byte[] pixels) {
        CompletableFuture<float[]> f = new CompletableFuture<>();
        if (closed) {
            f.completeExceptionally(new IllegalStateException("the embedding batcher is closed"));
            return f;
        }
        queue.add(new Request(pixels, f));
        return f;
    }

    public ModelCard card() {
        return model.card();
    }

    private void run() {
        List<Request> batch = new ArrayList<>(batchSize);
        while (!closed) {
            try {
                Request first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
                long deadline = System.nanoTime() + maxWaitNanos;
                while (batch.size() < batchSize) {
                    long left = deadline - System.nanoTime();
                    Request next = left > 0 ? queue.poll(left, TimeUnit.NANOSECONDS) : queue.poll();
                    if (next == null) {
                        break;
                    }
                    batch.add(next);
                }
                runBatch(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } finally {
                batch.clear();
            }
        }
        for (Request r; (r = queue.poll()) != null; ) {
            r.result.completeExceptionally(new IllegalStateException("the embedding batcher was closed"));
        }
    }

    private void runBatch(List<Request> batch) {
        List<byte[]> pixels = new ArrayList<>(batch.size());
        for (Request r : batch) {
            pixels.add(r.pixels);
        }
        try {
            float[][] vectors = model.embed(pixels);
            for (int i = 0; i < batch.size(); i++) {
                batch.get(i).result.complete(vectors[i]);
            }
        } catch (RuntimeException e) {
            if (batch.size() == 1) {
                batch.get(0).result.completeExceptionally(e);
                return;
            }
            LOG.warn("A batch of {} images failed ({}); retrying them one by one", batch.size(), e.toString());
            for (Request r : batch) {
                try {
                    r.result.complete(model.embed(List.of(r.pixels))[0]);
                } catch (RuntimeException single) {
                    r.result.completeExceptionally(single);
                }
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (ownsModel) {
            model.close();
        }
    }
}
