package io.imgindex.bench;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.embed.EmbeddingBatcher;
import io.imgindex.imaging.embed.EmbeddingModel;
import io.imgindex.imaging.embed.ImageEmbedder;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;

/**
 * Images per second of the embedding step, in three parts measured in one run: decoding and resizing alone,
 * the model alone on pre-decoded pixels, and the whole embedding function (decode, the shared batcher, the
 * model), at batch sizes 1, 8 and 32; the overhead ratio is whole time / model time per image.
 *
 * <p>{@code benchmarks/run EmbeddingBenchmark [MODEL] [IMAGES]}: MODEL defaults to the default model, IMAGES to
 * 96 per measurement; each figure is the median of 3 measurements after a warm-up.
 */
public final class EmbeddingBenchmark {

    public static void main(String[] args) throws Exception {
        String modelId = args.length > 0 ? args[0] : ModelCatalog.DEFAULT;
        int count = args.length > 1 ? Integer.parseInt(args[1]) : 96;
        ModelStore.Model model = new ModelStore(ModelStore.defaultCache()).resolve(modelId);
        ModelCard card = model.card();
        List<byte[]> files = new ArrayList<>();
        try (var list = Files.list(Paths.get("sample-data", "images"))) {
            for (Path p : list.sorted().toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        // Decoded as the job and the server decode for this model: the card's options, the default limits.
        ImageEmbedder decoder = ImageEmbedder.decodeOnly(card.decodeOptions(DecodeOptions.Limits.defaults()));
        List<byte[]> pixels = new ArrayList<>();
        for (byte[] f : files) {
            ImageEmbedder.Decoded d = decoder.decode(f);
            if (d.isOk()) {
                pixels.add(d.modelInput());
            }
        }
        Machine.print("embedding benchmark: model " + card.id() + " (" + card.dimension() + " dims, input "
                + card.input().width() + "x" + card.input().height() + "), " + count + " images per measurement, "
                + files.size() + " sample photos (" + totalKb(files) + " KiB)");

        double decode = median(() -> {
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) {
                decoder.decode(files.get(i % files.size()));
            }
            return rate(count, t);
        });
        System.out.printf("decode + resize alone (1 thread):   %8.1f images/s%n", decode);
        // The job's decode also makes the stored thumbnail (--thumbnail.size, 160 by default): its cost.
        ImageEmbedder withThumbnails = ImageEmbedder.decodeOnly(
                card.decodeOptions(DecodeOptions.Limits.defaults()).withThumbnails(160));
        long[] thumbnailBytes = {0, 0};
        double decodeAndThumbnail = median(() -> {
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) {
                byte[] thumb = withThumbnails
                        .decode(files.get(i % files.size()))
                        .image()
                        .thumbnail();
                thumbnailBytes[0] += thumb == null ? 0 : thumb.length;
                thumbnailBytes[1]++;
            }
            return rate(count, t);
        });
        System.out.printf(
                "decode + resize + 160 px thumbnail:  %8.1f images/s (%.2fx the time; thumbnails %.1f KB on average)%n",
                decodeAndThumbnail,
                decode / decodeAndThumbnail,
                thumbnailBytes[0] / 1024.0 / Math.max(1, thumbnailBytes[1]));
        System.out.println();
        System.out.println("batch | model alone img/s | whole function img/s | overhead (whole time / model time)");
        try (EmbeddingModel m = EmbeddingModel.load(model.dir(), card, 0, 0)) {
            for (int batch : new int[] {1, 8, 32}) {
                double alone = median(() -> {
                    long t = System.nanoTime();
                    for (int done = 0; done < count; done += batch) {
                        List<byte[]> b = new ArrayList<>(batch);
                        for (int i = 0; i < batch; i++) {
                            b.add(pixels.get((done + i) % pixels.size()));
                        }
                        m.embed(b);
                    }
                    return rate(count, t);
                });
                double whole = median(() -> wholeFunction(m, card, files, count, batch));
                System.out.printf("%5d | %17.1f | %20.1f | %.2f%n", batch, alone, whole, alone / whole);
            }
        }
    }

    /**
     * What the job's decode and embed steps do, through the {@link ImageEmbedder} they share: one task decodes and
     * submits, at most four batches in flight (the async operator's capacity), to a batcher that waits at most 10
     * ms to fill a batch. The model is not closed here.
     */
    static double wholeFunction(EmbeddingModel m, ModelCard card, List<byte[]> files, int count, int batch)
            throws Exception {
        EmbeddingBatcher batcher = new EmbeddingBatcher(m, batch, Duration.ofMillis(10), false);
        ImageEmbedder embedder = ImageEmbedder.of(card, DecodeOptions.Limits.defaults(), batcher);
        try {
            Semaphore inFlight = new Semaphore(4 * batch);
            List<CompletableFuture<float[]>> all = new ArrayList<>();
            long t = System.nanoTime();
            for (int i = 0; i < count; i++) {
                inFlight.acquire();
                CompletableFuture<float[]> f = embedder.embed(embedder.decode(files.get(i % files.size())));
                f.whenComplete((v, e) -> inFlight.release());
                all.add(f);
            }
            CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).join();
            return rate(count, t);
        } finally {
            batcher.close();
        }
    }

    @FunctionalInterface
    interface Measurement {
        double run() throws Exception;
    }

    static double median(Measurement m) throws Exception {
        m.run(); // warm-up
        double[] r = {m.run(), m.run(), m.run()};
        Arrays.sort(r);
        return r[1];
    }

    static double rate(int images, long startNanos) {
        return images / ((System.nanoTime() - startNanos) / 1e9);
    }

    static long totalKb(List<byte[]> files) {
        return files.stream().mapToLong(f -> f.length).sum() / 1024;
    }

    private EmbeddingBenchmark() {}
}
