package io.imgindex.bench;

import io.imgindex.decode.DecodeOptions;
import io.imgindex.decode.DecodedImage;
import io.imgindex.decode.ImageDecoder;
import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.dedup.near.NearDuplicateFunction;
import io.imgindex.embed.EmbeddingModel;
import io.imgindex.embed.ModelCard;
import io.imgindex.embed.ModelCatalog;
import io.imgindex.embed.ModelStore;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;

/**
 * Throughput and state of the near-duplicate operator on synthetic vectors, next to the embedding step's.
 *
 * <p>{@code benchmarks/run NearDupThroughputBenchmark N DIM [CHECKS] [heap|rocksdb]}: N clustered unit vectors of
 * DIM dimensions
 * (a shared positive offset, like image embeddings), a quarter of them planted near-copies of a recent vector
 * (cosine 0.88 to 1.0). They go through {@link NearDuplicateFunction} in Flink's operator harness (STREAMING,
 * heap or RocksDB keyed state, the default parameters, threshold 0.86); the state size is computed from what it holds (leaders, bucket entries, decisions). Then
 * CHECKS items the operator kept are compared exhaustively with every item kept before them: a kept item with
 * a similar earlier kept item is a miss of the buckets (recall against exhaustive comparison). In the same run,
 * the default model embeds sample photos (decode + model, batch 32, all cores) for the comparison.
 */
public final class NearDupThroughputBenchmark {

    private static final float THRESHOLD = 0.86f;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 1792;
        int checks = args.length > 2 ? Integer.parseInt(args[2]) : 500;
        boolean rocksdb = args.length > 3 && args[3].equals("rocksdb");
        Machine.print("near-duplicate throughput: " + n + " vectors x " + dim + " dimensions, threshold " + THRESHOLD
                + ", " + (rocksdb ? "RocksDB" : "heap") + " keyed state");
        double embedRate = embeddingRate();

        NearDupParams params = NearDupParams.withThreshold(THRESHOLD);
        var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new NearDuplicateFunction(params, dim, false)), (Item i) -> 0, Types.INT);
        Path checkpoints = Files.createTempDirectory("near-dup-checkpoints-");
        harness.setCheckpointStorage(
                new org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage(checkpoints.toUri()));
        if (rocksdb) {
            var backend = new org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend();
            // The harness's mock task has almost no managed memory: let RocksDB size its own buffers instead, as a
            // task manager with managed memory would.
            backend.getMemoryConfiguration().setUseManagedMemory(false);
            harness.setStateBackend(backend);
        }
        harness.open();
        Generator gen = new Generator(dim, 42L);
        // A copy of every kept vector for the exhaustive check, when the heap holds it beside the operator's state.
        boolean keepVectors = (long) n * dim * 4 * 2.4 < Runtime.getRuntime().maxMemory();
        List<float[]> kept = new ArrayList<>();
        int planted = 0;
        int plantedFound = 0;
        long start = System.nanoTime();
        long lap = start;
        int leaders = 0;
        for (int i = 0; i < n; i++) {
            if (i > 0 && i % 100_000 == 0) {
                long now = System.nanoTime();
                System.out.printf(
                        "  %,d vectors: %.0f vectors/s over the last 100,000, %d leaders%n",
                        i, 100_000 / ((now - lap) / 1e9), leaders);
                lap = now;
            }
            boolean copy = gen.next();
            planted += copy ? 1 : 0;
            Item item = Item.pending("v" + i, "synthetic:" + i, Map.of(), null);
            item.indexed(gen.vector.clone(), "synthetic");
            float[] v = keepVectors ? item.vector : null;
            harness.processElement(item, 0);
            var out = harness.getOutput();
            Item decided =
                    (Item) ((org.apache.flink.streaming.runtime.streamrecord.StreamRecord<?>) out.poll()).getValue();
            if (decided.status == Status.INDEXED) {
                leaders++;
                if (keepVectors) {
                    kept.add(v);
                }
            } else if (copy) {
                plantedFound++;
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        int entries = rocksdb ? -1 : harness.numKeyedStateEntries(); // the harness counts heap state only
        harness.close();
        int duplicates = n - leaders;
        // Serialized sizes of the operator's state: a leader is its handle, id and vector; a bucket entry a handle;
        // a decision the id and a few bytes; plus the keys of the maps.
        int signatureWords = (params.tables() * params.bits() + 63) / 64;
        long stateBytes = (long) leaders * (8 + 12 + 4 + 4L * dim)
                + (long) leaders * params.tables() * 8 * (1 + signatureWords)
                + (long) n * (12 + 16);
        System.out.printf(
                "operator: %.0f vectors/s (%d in %.1f s, one task); embedding step: %.1f images/s on this machine"
                        + " (%.0fx less)%n",
                n / seconds, n, seconds, embedRate, n / seconds / embedRate);
        System.out.printf(
                "state after %d vectors: %d leaders kept, %d keyed state entries; %.1f MiB serialised (computed from"
                        + " the counts: %.0f bytes per vector offered)%n",
                n, leaders, entries, stateBytes / 1048576.0, (double) stateBytes / n);
        System.out.printf(
                "planted near-copies: %d, marked duplicates: %d (%.3f)%n",
                planted, plantedFound, planted == 0 ? 1.0 : (double) plantedFound / planted);
        if (keepVectors && checks > 0) {
            // Kept items from the second half, each against every earlier kept item.
            SplittableRandom r = new SplittableRandom(7);
            int misses = 0;
            int checked = 0;
            for (int c = 0; c < checks; c++) {
                int k = kept.size() / 2 + r.nextInt(kept.size() - kept.size() / 2);
                float[] v = kept.get(k);
                for (int j = 0; j < k; j++) {
                    if (dot(v, kept.get(j)) >= THRESHOLD) {
                        misses++;
                        break;
                    }
                }
                checked++;
            }
            System.out.printf(
                    "exhaustive check of %d kept vectors: %d had an earlier kept vector at >= %.2f (missed by the"
                            + " buckets); with %d duplicates found, recall against exhaustive ~ %.4f%n",
                    checked,
                    misses,
                    THRESHOLD,
                    duplicates,
                    duplicates / (duplicates + (double) misses / checked * kept.size()));
        }
    }

    /** Images per second through decode + the default model at batch 32 (what the embed step does). */
    static double embeddingRate() throws Exception {
        ModelStore.Model model = new ModelStore(ModelStore.defaultCache()).resolve(ModelCatalog.DEFAULT);
        ModelCard card = model.card();
        ImageDecoder decoder = new ImageDecoder(DecodeOptions.pixels(
                50_000_000, card.input().width(), card.input().height(), false));
        List<byte[]> files = new ArrayList<>();
        try (var list = Files.list(Path.of("sample-data", "images"))) {
            for (Path p : list.sorted().toList()) {
                files.add(Files.readAllBytes(p));
            }
        }
        try (EmbeddingModel m = EmbeddingModel.load(model.dir(), card, 0, 0)) {
            double best = 0;
            for (int round = 0; round < 3; round++) {
                long t = System.nanoTime();
                int count = 96;
                for (int done = 0; done < count; done += 32) {
                    List<byte[]> batch = new ArrayList<>();
                    for (int i = 0; i < 32; i++) {
                        DecodedImage d = decoder.decode(files.get((done + i) % files.size()));
                        batch.add(d.pixels());
                    }
                    m.embed(batch);
                }
                best = Math.max(best, count / ((System.nanoTime() - t) / 1e9));
            }
            return best;
        }
    }

    static float dot(float[] a, float[] b) {
        float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
        int i = 0;
        for (; i + 3 < a.length; i += 4) {
            s0 += a[i] * b[i];
            s1 += a[i + 1] * b[i + 1];
            s2 += a[i + 2] * b[i + 2];
            s3 += a[i + 3] * b[i + 3];
        }
        for (; i < a.length; i++) {
            s0 += a[i] * b[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    /** Clustered unit vectors; a quarter are near-copies of one of the last 10,000. */
    static final class Generator {
        final int dim;
        final SplittableRandom r;
        final float[][] centers = new float[64][];
        final float[][] recent = new float[10_000][];
        int made;
        float[] vector;

        Generator(int dim, long seed) {
            this.dim = dim;
            this.r = new SplittableRandom(seed);
            for (int c = 0; c < centers.length; c++) {
                centers[c] = new float[dim];
                for (int j = 0; j < dim; j++) {
                    centers[c][j] = (float) (r.nextDouble() * 2 - 1) + 1f;
                }
            }
        }

        /** Makes the next vector; true if it is a planted copy. */
        boolean next() {
            float[] v = new float[dim];
            boolean copy = made > 0 && r.nextDouble() < 0.25;
            if (copy) {
                float[] of = recent[r.nextInt(Math.min(made, recent.length))];
                double noise = 0.05 + r.nextDouble() * 0.47; // cosine to the original ~0.88 .. 1.0
                double scale = noise * Math.sqrt(3.0 / dim);
                for (int j = 0; j < dim; j++) {
                    v[j] = of[j] + (float) ((r.nextDouble() * 2 - 1) * scale);
                }
            } else {
                float[] c = centers[r.nextInt(centers.length)];
                for (int j = 0; j < dim; j++) {
                    v[j] = c[j] + (float) ((r.nextDouble() * 2 - 1) * 1.2);
                }
            }
            double norm = 0;
            for (float x : v) {
                norm += x * x;
            }
            float inv = (float) (1 / Math.sqrt(norm));
            for (int j = 0; j < dim; j++) {
                v[j] *= inv;
            }
            recent[made % recent.length] = v;
            made++;
            vector = v;
            return copy;
        }
    }
}
