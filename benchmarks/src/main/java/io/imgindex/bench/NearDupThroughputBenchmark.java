package io.imgindex.bench;

import io.imgindex.dedup.near.Hyperplanes;
import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.dedup.near.NearDuplicateFunction;
import io.imgindex.dedup.near.NearDuplicateIndex;
import io.imgindex.dedup.near.PartitionKeys;
import io.imgindex.dedup.near.RouteFunction;
import io.imgindex.dedup.near.Routed;
import io.imgindex.dedup.near.Routing;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.decode.ImageDecoder;
import io.imgindex.imaging.embed.EmbeddingModel;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.contrib.streaming.state.EmbeddedRocksDBStateBackend;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.runtime.state.VoidNamespace;
import org.apache.flink.runtime.state.VoidNamespaceSerializer;
import org.apache.flink.runtime.state.storage.FileSystemCheckpointStorage;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;

/**
 * Throughput and state of the partitioned near-duplicate operator on synthetic vectors, next to the embedding
 * step's.
 *
 * <p>{@code benchmarks/run NearDupThroughputBenchmark N DIM [PARTITIONS] [heap|rocksdb] [PARALLELISM...]}: N
 * clustered unit vectors of DIM dimensions (64 clusters around a shared positive offset, like image embeddings), a
 * quarter of them planted near-copies of a recent vector (cosine 0.88 to 1.0). A {@link Routing} of PARTITIONS
 * partitions (default 32; 1 = one partition, the unpartitioned operator) is trained on a sample of 64 vectors per
 * partition, as a BATCH job does. Then, for each PARALLELISM (default 1 2), that many subtasks run at once, one
 * thread each, each a {@link NearDuplicateFunction} in Flink's operator harness (STREAMING, heap or RocksDB keyed
 * state, default parameters, threshold 0.86) holding the partitions Flink's key groups give it: every thread
 * generates the whole stream, routes it, and feeds its operator the items of its partitions (home and replicas).
 * The rate of a subtask is its items over the time spent inside its operator (generation and routing are
 * timed apart); the job's rate is N over the slowest subtask's operator time, which is what PARALLELISM subtasks on
 * their own cores reach. The state is computed from what the operator holds (int8 leaders, bucket entries). The
 * planted copies found measure recall; run with PARTITIONS 1 for the same figure from one partition.
 */
public final class NearDupThroughputBenchmark {

    private static final float THRESHOLD = 0.86f;
    private static final int MAX_PARALLELISM = PartitionKeys.MAX_PARALLELISM;

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int dim = args.length > 1 ? Integer.parseInt(args[1]) : 1792;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        boolean rocksdb = args.length > 3 && args[3].equals("rocksdb");
        List<Integer> parallelisms = new ArrayList<>();
        for (int a = 4; a < args.length; a++) {
            parallelisms.add(Integer.parseInt(args[a]));
        }
        if (parallelisms.isEmpty()) {
            parallelisms = List.of(1, 2);
        }
        Machine.print("near-duplicate throughput: " + n + " vectors x " + dim + " dimensions, threshold " + THRESHOLD
                + ", " + partitions + " partitions, " + (rocksdb ? "RocksDB" : "heap") + " keyed state");
        double embedRate = Boolean.parseBoolean(System.getProperty("embed", "true")) ? embeddingRate() : Double.NaN;
        System.out.printf("embedding step (decode + default model, batch 32, all cores): %.1f images/s%n", embedRate);

        NearDupParams params = NearDupParams.withThreshold(THRESHOLD);
        // -Dtables=N, -Dbits=N, -Dprobes=N, -Dcompared=N, -Dwarmup=N, -Dmargin=X: other settings than the job's
        // defaults, to measure them; -Dreference=true: the same stream through one partition too, for the recall.
        params = params.lsh(
                        Integer.getInteger("tables", params.tables()),
                        Integer.getInteger("bits", params.bits()),
                        Integer.getInteger("probes", params.probes()))
                .compared(Integer.getInteger("compared", params.compared()))
                .warmup(Integer.getInteger("warmup", params.warmup()));
        float margin = Float.parseFloat(System.getProperty("margin", "0.01"));
        System.out.printf(
                "parameters: %d tables x %d bits, %d probes, %d per bucket, %d compared, warm-up %d, margin %.3f%n",
                params.tables(),
                params.bits(),
                params.probes(),
                params.bucketCapacity(),
                params.compared(),
                params.warmup(),
                margin);
        Generator sampler = new Generator(dim, 42L);
        List<float[]> sample = new ArrayList<>();
        for (int i = 0; i < partitions * Routing.SAMPLE_PER_PARTITION; i++) {
            sampler.next();
            sample.add(sampler.vector);
        }
        long t0 = System.nanoTime();
        Routing routing = Routing.train(sample, partitions, margin);
        System.out.printf(
                "routing: %s, trained on %d vectors in %.1f s%n",
                routing, sample.size(), (System.nanoTime() - t0) / 1e9);

        if (Boolean.getBoolean("shares")) {
            // Only the routing: how the items' home partitions share out over 1 to 16 subtasks.
            Generator gen = new Generator(dim, 42L);
            for (int i = 0; i < sample.size(); i++) {
                gen.next();
            }
            long[] perPartition = new long[routing.partitions()];
            for (int i = 0; i < n; i++) {
                gen.next();
                perPartition[routing.home(NearDuplicateIndex.unit(gen.vector))]++;
            }
            PartitionKeys keys = PartitionKeys.of(routing);
            for (int p : new int[] {1, 2, 4, 8, 16}) {
                long[] per = new long[p];
                for (int k = 0; k < perPartition.length; k++) {
                    per[
                                    KeyGroupRangeAssignment.assignKeyToParallelOperator(
                                            keys.getKey(new Routed(k, false, null)), MAX_PARALLELISM, p)] +=
                            perPartition[k];
                }
                long busiest = Arrays.stream(per).max().orElse(0);
                System.out.printf(
                        "parallelism %d: the busiest subtask decides %.1f%% of the items; scaling over one subtask"
                                + " at most %.1fx%n",
                        p, 100.0 * busiest / n, (double) n / busiest);
            }
            return;
        }
        BitSet reference = null;
        if (Boolean.getBoolean("reference") && routing.partitions() > 1) {
            // The same stream through one partition (the operator as it was before partitions), for the recall.
            Subtask one = new Subtask(0, 1, n, dim, params, Routing.single(), rocksdb, sample.size());
            one.run();
            if (one.failure != null) {
                throw one.failure;
            }
            reference = one.duplicates;
            System.out.printf(
                    "one partition: %,d duplicates, %.0f vectors/s in the operator, %,d planted copies found%n",
                    reference.cardinality(), n / one.operatorSeconds, one.plantedFound);
        }
        for (int p : parallelisms) {
            Subtask[] subtasks = new Subtask[p];
            Thread[] threads = new Thread[p];
            long start = System.nanoTime();
            for (int s = 0; s < p; s++) {
                subtasks[s] = new Subtask(s, p, n, dim, params, routing, rocksdb, sample.size());
                threads[s] = new Thread(subtasks[s], "subtask-" + s);
                threads[s].start();
            }
            for (Thread t : threads) {
                t.join();
            }
            double wall = (System.nanoTime() - start) / 1e9;
            double slowest = 0;
            long stored = 0;
            long kept = 0;
            long plantedFound = 0;
            long planted = 0;
            long routedItems = 0;
            long buckets = 0;
            for (Subtask st : subtasks) {
                if (st.failure != null) {
                    throw st.failure;
                }
                slowest = Math.max(slowest, st.operatorSeconds);
                stored += st.leadersStored;
                kept += st.kept;
                plantedFound += st.plantedFound;
                planted = st.planted;
                routedItems += st.items;
                buckets += st.bucketEntries;
                System.out.printf(
                        "  p=%d subtask %d: %d partitions, %,d items (%,d decided here), %.0f items/s in the operator"
                                + " (%.1f s), %,d leaders stored; generation, routing and sketches (the router's share) %.1f s%n",
                        p,
                        st.index,
                        st.partitions,
                        st.items,
                        st.decided,
                        st.items / st.operatorSeconds,
                        st.operatorSeconds,
                        st.leadersStored,
                        st.otherSeconds);
            }
            long leaderBytes = 4 + dim + 1 + 16 + 8; // max, codes, replica flag, id (~16 chars), handle key
            long stateBytes = stored * leaderBytes + buckets * 8L; // an entry: a handle and a signature fragment
            System.out.printf(
                    "p=%d: %.0f vectors/s (N over the slowest subtask's operator time, %.1f s; wall %.1f s on this"
                            + " machine, generation included), %.0f vectors/s per subtask; %.2f routed items per vector%n",
                    p, n / slowest, slowest, wall, n / slowest / p, (double) routedItems / n);
            System.out.printf(
                    "p=%d: %,d kept, %,d leaders stored (%.2f per kept item), %,d bucket entries; state %.1f MiB = %.0f"
                            + " bytes per kept vector, %.0f per vector offered%n",
                    p,
                    kept,
                    stored,
                    (double) stored / kept,
                    buckets,
                    stateBytes / 1048576.0,
                    (double) stateBytes / kept,
                    (double) stateBytes / n);
            if (reference != null) {
                BitSet all = new BitSet();
                for (Subtask st : subtasks) {
                    all.or(st.duplicates);
                }
                BitSet both = (BitSet) all.clone();
                both.and(reference);
                BitSet extra = (BitSet) all.clone();
                extra.andNot(reference);
                System.out.printf(
                        "p=%d: recall against one partition %.4f (%,d of its %,d duplicates found; %,d found only here)%n",
                        p,
                        (double) both.cardinality() / reference.cardinality(),
                        both.cardinality(),
                        reference.cardinality(),
                        extra.cardinality());
            }
            System.out.printf(
                    "p=%d: planted near-copies %,d, marked duplicates %,d (%.4f); embedding %.1f images/s"
                            + " (operator per subtask %.0fx that)%n",
                    p, planted, plantedFound, (double) plantedFound / planted, embedRate, n / slowest / p / embedRate);
        }
    }

    /** One subtask of the operator: the partitions Flink's key groups give it at parallelism {@code p}. */
    static final class Subtask implements Runnable {
        final int index;
        final int p;
        final int n;
        final int dim;
        final NearDupParams params;
        final Routing routing;
        final boolean rocksdb;
        final int skip;
        int partitions;
        long items;
        long decided;
        long kept;
        long leadersStored;
        long bucketEntries;
        long planted;
        long plantedFound;
        double operatorSeconds;
        double otherSeconds;
        final BitSet duplicates = new BitSet();
        Exception failure;

        Subtask(int index, int p, int n, int dim, NearDupParams params, Routing routing, boolean rocksdb, int skip) {
            this.skip = skip;
            this.index = index;
            this.p = p;
            this.n = n;
            this.dim = dim;
            this.params = params;
            this.routing = routing;
            this.rocksdb = rocksdb;
        }

        @Override
        public void run() {
            try {
                go();
            } catch (Exception e) {
                failure = e;
            }
        }

        private void go() throws Exception {
            boolean[] mine = new boolean[routing.partitions()];
            PartitionKeys keys = PartitionKeys.of(routing);
            for (int k = 0; k < mine.length; k++) {
                mine[k] = KeyGroupRangeAssignment.assignKeyToParallelOperator(
                                keys.getKey(new Routed(k, false, null)), MAX_PARALLELISM, p)
                        == index;
                partitions += mine[k] ? 1 : 0;
            }
            var harness = new KeyedOneInputStreamOperatorTestHarness<>(
                    new KeyedProcessOperator<>(new NearDuplicateFunction(params, dim, false)),
                    keys,
                    Types.INT,
                    MAX_PARALLELISM,
                    p,
                    index);
            Path checkpoints = Files.createTempDirectory("near-dup-checkpoints-");
            harness.setCheckpointStorage(new FileSystemCheckpointStorage(checkpoints.toUri()));
            if (rocksdb) {
                var backend = new EmbeddedRocksDBStateBackend();
                // The harness's mock task has almost no managed memory: let RocksDB size its own buffers instead,
                // as a task manager with managed memory would.
                backend.getMemoryConfiguration().setUseManagedMemory(false);
                harness.setStateBackend(backend);
            }
            harness.open();
            Generator gen = new Generator(dim, 42L);
            for (int i = 0; i < skip; i++) {
                gen.next(); // the training sample
            }
            float[] center = routing.center();
            Hyperplanes planes = center == null ? null : new Hyperplanes(dim, params);
            if (center != null) {
                // What each router sends before its first item in a partition: the common centre.
                for (int k = 0; k < mine.length; k++) {
                    if (mine[k]) {
                        harness.processElement(Routed.center(k, center), 0);
                    }
                }
            }
            long operatorNanos = 0;
            long otherNanos = 0;
            var out = new ArrayList<Routed>(4);
            Collector<Routed> collect = new Collector<>() {
                @Override
                public void collect(Routed r) {
                    out.add(r);
                }

                @Override
                public void close() {}
            };
            for (int i = 0; i < n; i++) {
                long a = System.nanoTime();
                boolean copy = gen.next();
                planted += copy ? 1 : 0;
                Item item = Item.pending("v" + i, "synthetic:" + i, Map.of(), null);
                item.indexed(gen.vector, "synthetic");
                out.clear();
                RouteFunction.routeItem(routing, keys, planes, item, collect); // the router's share, sketches included
                long b = System.nanoTime();
                otherNanos += b - a;
                for (Routed r : out) {
                    if (!mine[r.partition]) {
                        continue;
                    }
                    items++;
                    harness.processElement(r, 0);
                    if (!r.replica) {
                        decided++;
                    }
                }
                long c = System.nanoTime();
                operatorNanos += c - b;
                var output = harness.getOutput();
                Object o;
                while ((o = output.poll()) != null) {
                    if (!(o instanceof StreamRecord<?> rec)) {
                        continue;
                    }
                    Item decidedItem = (Item) rec.getValue();
                    if (decidedItem.status == Status.DUPLICATE) {
                        duplicates.set(Integer.parseInt(decidedItem.id.substring(1)));
                    }
                    if (decidedItem.status == Status.INDEXED) {
                        kept++;
                    } else if (copy) {
                        plantedFound++;
                    }
                }
                var decisions = harness.getSideOutput(NearDuplicateFunction.DECISIONS);
                if (decisions != null) {
                    decisions.clear(); // the follow step's input, not measured here: do not let it pile up
                }
            }
            operatorSeconds = operatorNanos / 1e9;
            otherSeconds = otherNanos / 1e9;
            // What the operator holds: leaders and bucket entries, counted through its keyed state.
            var backend = harness.getOperator().getKeyedStateBackend();
            for (int k = 0; k < mine.length; k++) {
                if (!mine[k]) {
                    continue;
                }
                backend.setCurrentKey(keys.getKey(new Routed(k, false, null)));
                var leaders = backend.getPartitionedState(
                        VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, NearDuplicateFunction.leadersState());
                for (var ignored : leaders.keys()) {
                    leadersStored++;
                }
                var buckets = backend.getPartitionedState(
                        VoidNamespace.INSTANCE, VoidNamespaceSerializer.INSTANCE, NearDuplicateFunction.bucketsState());
                for (long[] entries : buckets.values()) {
                    bucketEntries += entries.length;
                }
            }
            harness.close();
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
