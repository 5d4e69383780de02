package io.imgindex.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.flags.Flags;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.server.Http;
import io.imgindex.server.ServeOptions;
import io.imgindex.server.ServerConfig;
import io.imgindex.server.ShardServer;
import io.imgindex.server.TestGenerations;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.testing.S3TestServer;
import io.imgindex.vectors.DotKernel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.hadoop.conf.Configuration;

/**
 * The index server measured: load time per million vectors (local folder, and the in-process S3 server), queries
 * per second and p50/p99 latency of exact and approximate search under a concurrent HTTP load, recall@10 of the
 * approximate search against exact, all against a plain single-threaded scan measured in the same run.
 *
 * <p>{@code benchmarks/run ServerBenchmark VECTORS DIMENSION [CLIENTS] [SECONDS] [s3] [faiss] [v1] [pq=N]
 * [shards=N]}: {@code v1} also loads the same vectors as a format version 1 generation (the load-and-build
 * baseline), {@code pq=N} builds the segments' graphs to walk N-subspace PQ codes, {@code shards=N} sets the
 * shards (one shard of a million 512-d vectors makes a graph file over 2^31 bytes). The vectors are
 * clustered random unit vectors from a fixed seed (embeddings are clustered; uniform noise would flatter or
 * punish a graph index unrealistically). Client and server share this machine. {@code s3} adds the load from the
 * in-process S3 server; {@code faiss} runs {@code benchmarks/faiss_baseline.py} on the same vectors and queries
 * (FAISS from Debian's {@code python3-faiss}), for a comparison with a well-known library.
 */
public final class ServerBenchmark {

    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[0]);
        int dim = Integer.parseInt(args[1]);
        int concurrency = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int seconds = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        List<String> extras = Arrays.asList(args).subList(Math.min(args.length, 4), args.length);
        boolean s3 = extras.contains("s3");
        boolean faiss = extras.contains("faiss");
        boolean flat = extras.contains("v1");
        int pq = extras.stream()
                .filter(e -> e.startsWith("pq="))
                .mapToInt(e -> Integer.parseInt(e.substring(3)))
                .findFirst()
                .orElse(0);
        int shards = extras.stream()
                .filter(e -> e.startsWith("shards="))
                .mapToInt(e -> Integer.parseInt(e.substring(7)))
                .findFirst()
                .orElse(Math.max(2, (int) Math.ceil((double) n * dim * 4 / (600L << 20))));
        Machine.print(String.format(
                "server benchmark: %,d vectors of %d dimensions in %d shards, %d concurrent"
                        + " clients for %d s per mode",
                n, dim, shards, concurrency, seconds));

        Path work = Files.createTempDirectory("imgindex-bench-");
        Path cache = work.resolve("models");
        String model = "random-" + dim;
        TestGenerations.cardOnlyModel(cache, model, dim);
        float[] vectors = SeededVectors.generate(n, dim, Math.max(10, n / 1000), 1);
        List<float[]> queries = new ArrayList<>();
        for (int q = 0; q < 200; q++) {
            queries.add(SeededVectors.generate(1, dim, Math.max(10, n / 1000), 1_000_000 + q));
        }
        // The cluster centres of the queries and the data come from their seeds: take queries near data instead.
        for (int q = 0; q < queries.size(); q++) {
            float[] near = Arrays.copyOfRange(vectors, (q * 7919 % n) * dim, (q * 7919 % n + 1) * dim);
            for (int j = 0; j < dim; j++) {
                near[j] += 0.3f * queries.get(q)[j];
            }
            queries.set(q, near);
        }

        double baseline = plainScan(vectors, dim, queries, 10);
        System.out.printf("baseline, plain single-threaded scan: %.2f queries/s%n%n", baseline);
        if (faiss) {
            writeFloats(work.resolve("vectors.f32"), vectors, dim);
            float[] all = new float[queries.size() * dim];
            for (int q = 0; q < queries.size(); q++) {
                System.arraycopy(queries.get(q), 0, all, q * dim, dim);
            }
            writeFloats(work.resolve("queries.f32"), all, dim);
        }

        long t = System.nanoTime();
        Manifest written =
                TestGenerations.write(spec(work.toString(), n, dim, shards, model, vectors), new Configuration(), pq);
        double writeS = (System.nanoTime() - t) / 1e9;
        long buildMs =
                written.segments().stream().mapToLong(SegmentInfo::buildMillis).sum();
        long graphBytes = written.files().stream()
                .filter(f -> "graph".equals(f.kind()) || "pq".equals(f.kind()))
                .mapToLong(ManifestFile::bytes)
                .sum();
        long rowBytes = written.files().stream()
                .filter(f -> "rows".equals(f.kind()))
                .mapToLong(ManifestFile::bytes)
                .sum();
        System.out.printf(
                "segments written (as the job writes them, %d threads per segment, shards one after the other):"
                        + " %d segments in %.1f s; graph builds %.1f s (%.1f s per million vectors, PQ %s);"
                        + " files: rows %.0f B per vector, graph %.0f B per vector%n",
                2,
                written.segments().size(),
                writeS,
                buildMs / 1000.0,
                buildMs / 1000.0 * 1e6 / n,
                pq == 0 ? "off" : pq + " subspaces",
                (double) rowBytes / n,
                (double) graphBytes / n);
        if (flat) {
            TestGenerations.writeFlat(
                    spec(work.resolve("v1").toString(), n, dim, shards, model, vectors), new Configuration());
        }
        vectors = null; // the servers load their own copy
        Path serverCache = work.resolve("server-cache");

        System.gc();
        long heapBefore = heapUsed();
        long startCold = System.nanoTime();
        try (ShardServer first = start(work.toString(), cache, Map.of(), "--cache-dir", serverCache.toString())) {
            Http http = new Http(first.http().hostAndPort());
            Http.await(
                    "the generation",
                    Duration.ofHours(3),
                    () -> http.get("/readyz").status() == 200);
            double cold = (System.nanoTime() - startCold) / 1e9;
            JsonNode load = http.get("/v1/index").json().get("load");
            System.out.printf(
                    "%ntime to ready, local folder, first start (every file hashed): %.2f s (%.1f s per million"
                            + " vectors), %.0f MB verified%n",
                    cold, cold * 1e6 / n, load.get("bytes").asDouble() / 1e6);
        }
        System.gc();
        long startWarm = System.nanoTime();
        try (ShardServer server = start(
                work.toString(), cache, Map.of(), "--cache-dir", serverCache.toString(), "--watch-interval", "100ms")) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "the generation",
                    Duration.ofHours(3),
                    () -> http.get("/readyz").status() == 200);
            double warm = (System.nanoTime() - startWarm) / 1e9;
            System.gc();
            long heap = heapUsed() - heapBefore;
            JsonNode load = http.get("/v1/index").json().get("load");
            System.out.printf(
                    "time to ready, local folder, warm cache (checks remembered): %.2f s; heap %.0f MB (%.0f B per"
                            + " vector; server's own estimate %.0f MB), resident %.0f MB, mapped %.0f MB%n%n",
                    warm,
                    heap / 1e6,
                    (double) heap / n,
                    load.get("heap_bytes").asDouble() / 1e6,
                    residentBytes() / 1e6,
                    load.get("mapped_bytes").asDouble() / 1e6);

            System.out.println("mode        | queries/s | p50 ms | p99 ms | vs plain scan");
            for (String mode : List.of("exact", "approximate")) {
                double[] r = load(server.http().hostAndPort(), queries, mode, concurrency, seconds);
                System.out.printf("%-11s | %9.1f | %6.2f | %6.2f | %.1fx%n", mode, r[0], r[1], r[2], r[0] / baseline);
            }
            System.out.printf(
                    "%nrecall@10 of approximate against exact (%d queries): %.3f%n",
                    100, recall(http, queries.subList(0, 100)));

            System.out.println(
                    "\nin process, no HTTP, one query at a time (a query's shards are searched in" + " parallel):");
            for (Searcher.Mode mode : Searcher.Mode.values()) {
                System.out.printf(
                        "%-11s | %9.1f queries/s%n",
                        mode.name().toLowerCase(Locale.ROOT), inProcess(server, queries, mode, Math.min(seconds, 10)));
            }

            double single = inProcess(server, queries, Searcher.Mode.EXACT, Math.min(seconds, 10));
            double concurrent = inProcessConcurrent(server, queries, Searcher.Mode.EXACT, 16, Math.min(seconds, 10));
            double bandwidth = memoryBandwidth();
            double scanned = (double) n * dim * 4;
            System.out.printf(
                    "%nexact scans (%s): one query at a time %.1f queries/s = %.1f GB/s of vectors (%.0f%% of the"
                            + " %.1f GB/s this machine reads, measured now with 2 threads); 16 queries waiting %.1f"
                            + " queries/s (%.1fx)%n",
                    DotKernel.best().describe(),
                    single,
                    single * scanned / 1e9,
                    100 * single * scanned / 1e9 / bandwidth,
                    bandwidth,
                    concurrent,
                    concurrent / single);

            // A streamed commit: 1,000 new rows as new segments on top of the generation, the rest listed as it is.
            float[] more = SeededVectors.generate(1_000, dim, 10, 77);
            long committed = System.nanoTime();
            TestGenerations.writeOnTop(
                    new TestGenerations.Spec(
                            work.toString(), "bench", 2, shards, model, dim, "new", more, i -> Map.of(), List.of()),
                    written,
                    new Configuration());
            long wrote = System.nanoTime();
            Http.await(
                    "the commit",
                    Duration.ofMinutes(10),
                    () -> http.get("/v1/index").json().get("generation").asLong() == 2);
            long searchable = System.nanoTime();
            JsonNode commit = http.get("/v1/index").json().get("load");
            System.out.printf(
                    "%ncommit to searchable (1,000 rows on top of %,d; --watch-interval 100 ms): %.0f ms after the"
                            + " commit (its segments written in %.0f ms); segments loaded %d, reused %d, %.1f MB"
                            + " read%n",
                    n,
                    (searchable - wrote) / 1e6,
                    (wrote - committed) / 1e6,
                    commit.get("segments_loaded").asInt(),
                    commit.get("segments_reused").asInt(),
                    commit.get("bytes").asDouble() / 1e6);
            long back = System.nanoTime();
            server.served().switchTo(OptionalLong.of(1));
            long rolledBack = System.nanoTime();
            server.served().switchTo(OptionalLong.empty());
            long forth = System.nanoTime();
            System.out.printf(
                    "rollback to generation 1: %.1f ms, and back to the latest: %.1f ms%n",
                    (rolledBack - back) / 1e6, (forth - rolledBack) / 1e6);
        }
        if (flat) {
            long startFlat = System.nanoTime();
            try (ShardServer server = start(work.resolve("v1").toString(), cache, Map.of())) {
                Http http = new Http(server.http().hostAndPort());
                Http.await(
                        "the version 1 generation",
                        Duration.ofHours(3),
                        () -> http.get("/readyz").status() == 200);
                JsonNode load = http.get("/v1/index").json().get("load");
                System.out.printf(
                        "%nbaseline, a format version 1 generation (read into the heap, graphs built at load): ready"
                                + " in %.1f s (read %.1f s, graphs %.1f s)%n",
                        (System.nanoTime() - startFlat) / 1e9,
                        load.get("read_ms").asDouble() / 1000,
                        load.get("graphs_ms").asDouble() / 1000);
            }
        }
        if (s3) {
            try (S3TestServer store = new S3TestServer("bench", work.resolve("s3"))) {
                float[] again = SeededVectors.generate(n, dim, Math.max(10, n / 1000), 1);
                TestGenerations.write(spec(store.uri("indexes"), n, dim, shards, model, again), store.hadoopConf(), pq);
                again = null;
                Map<String, String> conf = new HashMap<>(store.flinkSettings());
                long startS3 = System.nanoTime();
                try (ShardServer server = start(
                        store.uri("indexes"),
                        cache,
                        conf,
                        "--cache-dir",
                        work.resolve("s3-cache").toString())) {
                    Http http = new Http(server.http().hostAndPort());
                    Http.await(
                            "the generation from S3",
                            Duration.ofHours(3),
                            () -> http.get("/readyz").status() == 200);
                    double ready = (System.nanoTime() - startS3) / 1e9;
                    JsonNode load = http.get("/v1/index").json().get("load");
                    System.out.printf(
                            "%ntime to ready from the in-process S3 server, empty cache: %.1f s (%.1f s per million"
                                    + " vectors), %.0f MB downloaded and verified (%.0f MB/s)%n",
                            ready,
                            ready * 1e6 / n,
                            load.get("bytes").asDouble() / 1e6,
                            load.get("bytes").asDouble() / 1e6 / ready);
                }
            }
        }
        if (faiss) {
            System.gc(); // hand the servers' heap back before FAISS loads its copy
            System.out.println();
            Process p = new ProcessBuilder(
                            System.getenv().getOrDefault("FAISS_PYTHON", "/usr/bin/python3"),
                            "benchmarks/faiss_baseline.py",
                            work.toString(),
                            Integer.toString(dim))
                    .inheritIO()
                    .start();
            if (p.waitFor() != 0) {
                System.out.println("faiss_baseline.py failed (apt-get install python3-faiss?)");
            }
        }
        deleteTree(work);
    }

    static long heapUsed() {
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }

    /** This process's resident set (VmRSS): heap in use plus the mapped pages it has touched. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException e) {
            // Not Linux: reported as 0.
        }
        return 0;
    }

    /** Little-endian float32, row after row: what NumPy's {@code fromfile(dtype='<f4')} reads. */
    static void writeFloats(Path file, float[] values, int dim) throws IOException {
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.allocate(dim * 4 * 1024).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < values.length; ) {
                buf.clear();
                int n = Math.min(values.length - i, buf.capacity() / 4);
                buf.asFloatBuffer().put(values, i, n);
                buf.limit(n * 4);
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
                i += n;
            }
        }
    }

    static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Queries per second of the server's searcher called directly, one query at a time. */
    static double inProcess(ShardServer server, List<float[]> queries, Searcher.Mode mode, int seconds)
            throws InterruptedException {
        LoadedIndex index = server.served().current().orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        try {
            Searcher searcher = new Searcher(pool);
            int done = 0;
            long start = System.nanoTime();
            long warm = start + 1_000_000_000L;
            while (System.nanoTime() < warm) {
                searcher.search(index, query(queries.get(done++ % queries.size()), mode));
            }
            done = 0;
            start = System.nanoTime();
            while (System.nanoTime() - start < seconds * 1_000_000_000L) {
                searcher.search(index, query(queries.get(done++ % queries.size()), mode));
            }
            return done / ((System.nanoTime() - start) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Queries per second of {@code threads} callers of the searcher at once (exact queries then share passes). */
    static double inProcessConcurrent(
            ShardServer server, List<float[]> queries, Searcher.Mode mode, int threads, int seconds)
            throws InterruptedException {
        LoadedIndex index = server.served().current().orElseThrow();
        ExecutorService pool = Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors());
        AtomicLong done = new AtomicLong();
        AtomicBoolean measuring = new AtomicBoolean();
        AtomicBoolean running = new AtomicBoolean(true);
        List<Thread> callers = new ArrayList<>();
        Searcher searcher = new Searcher(pool);
        for (int t = 0; t < threads; t++) {
            int offset = t;
            Thread th = new Thread(() -> {
                int i = offset;
                while (running.get()) {
                    try {
                        searcher.search(index, query(queries.get(i++ % queries.size()), mode));
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (measuring.get()) {
                        done.incrementAndGet();
                    }
                }
            });
            th.start();
            callers.add(th);
        }
        Thread.sleep(2000);
        measuring.set(true);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        long counted = done.get();
        double elapsed = (System.nanoTime() - start) / 1e9;
        running.set(false);
        for (Thread th : callers) {
            th.join();
        }
        pool.shutdownNow();
        return counted / elapsed;
    }

    /** The memory read bandwidth of this machine now: two threads summing 1 GiB of floats each, best of three. */
    static double memoryBandwidth() throws InterruptedException {
        int n = 1 << 28;
        float[][] data = {new float[n], new float[n]};
        double best = 0;
        for (int round = 0; round < 3; round++) {
            double[] sink = new double[2];
            Thread[] threads = new Thread[2];
            long start = System.nanoTime();
            for (int t = 0; t < 2; t++) {
                float[] a = data[t];
                int slot = t;
                threads[t] = new Thread(() -> {
                    DotKernel k = DotKernel.best();
                    sink[slot] = k.dot(a, 0, a, 0, a.length);
                });
                threads[t].start();
            }
            for (Thread th : threads) {
                th.join();
            }
            double gbs = 2.0 * n * 4 / ((System.nanoTime() - start) / 1e9) / 1e9;
            best = Math.max(best, gbs + 0 * (sink[0] + sink[1]));
        }
        return best;
    }

    static Searcher.Query query(float[] vector, Searcher.Mode mode) {
        return Searcher.Query.topK(vector, 10, mode, 100);
    }

    static TestGenerations.Spec spec(String output, int n, int dim, int shards, String model, float[] vectors) {
        return new TestGenerations.Spec(output, "bench", 1, shards, model, dim, "v", vectors, i -> Map.of(), List.of());
    }

    static ShardServer start(String index, Path cache, Map<String, String> conf, String... extra) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--index",
                index,
                "--name",
                "bench",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--model-cache",
                cache.toString(),
                "--load-threads",
                "2",
                "--request-timeout",
                "10min",
                "--workers",
                "8"));
        args.addAll(List.of(extra));
        conf.forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
        Flags.Parsed p = Flags.parse(args.toArray(new String[0]), ServeOptions.ALL, Flags.Conf.S3);
        return ShardServer.start(ServerConfig.from(p, null));
    }

    /** The baseline: one thread, a simple loop and a priority queue, no tricks. */
    static double plainScan(float[] vectors, int dim, List<float[]> queries, int k) {
        plainScan(vectors, dim, queries.get(0), k); // warm-up, so the JIT has compiled the loop
        int rounds = 0;
        long start = System.nanoTime();
        while (System.nanoTime() - start < 5_000_000_000L || rounds < 3) {
            plainScan(vectors, dim, queries.get(rounds % queries.size()), k);
            rounds++;
        }
        return rounds / ((System.nanoTime() - start) / 1e9);
    }

    private static PriorityQueue<float[]> plainScan(float[] vectors, int dim, float[] q, int k) {
        int n = vectors.length / dim;
        PriorityQueue<float[]> top = new PriorityQueue<>((a, b) -> Float.compare(a[0], b[0]));
        for (int i = 0; i < n; i++) {
            float s = 0;
            for (int j = 0; j < dim; j++) {
                s += q[j] * vectors[i * dim + j];
            }
            if (top.size() < k) {
                top.add(new float[] {s, i});
            } else if (s > top.peek()[0]) {
                top.poll();
                top.add(new float[] {s, i});
            }
        }
        return top;
    }

    /** A closed-loop load: {@code concurrency} clients, each sending its next query when the last returns. */
    static double[] load(String hostPort, List<float[]> queries, String mode, int concurrency, int seconds)
            throws Exception {
        List<String> bodies = new ArrayList<>();
        for (float[] q : queries) {
            bodies.add("{\"vector\":" + Http.array(q) + ",\"k\":10,\"mode\":\"" + mode + "\"}");
        }
        AtomicBoolean running = new AtomicBoolean(true);
        List<List<Long>> latencies = new ArrayList<>();
        List<Thread> clients = new ArrayList<>();
        int[] errors = new int[1];
        for (int c = 0; c < concurrency; c++) {
            List<Long> mine = new ArrayList<>();
            latencies.add(mine);
            int offset = c;
            Thread thread = new Thread(() -> {
                HttpClient client = HttpClient.newBuilder()
                        .version(HttpClient.Version.HTTP_1_1)
                        .build();
                int i = offset;
                while (running.get()) {
                    HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + hostPort + "/v1/search"))
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i++ % bodies.size())))
                            .build();
                    long s = System.nanoTime();
                    try {
                        HttpResponse<String> r = client.send(req, HttpResponse.BodyHandlers.ofString());
                        if (r.statusCode() != 200) {
                            synchronized (errors) {
                                errors[0]++;
                            }
                        }
                    } catch (Exception e) {
                        synchronized (errors) {
                            errors[0]++;
                        }
                    }
                    if (running.get()) {
                        mine.add(System.nanoTime() - s);
                    }
                }
            });
            thread.start();
            clients.add(thread);
        }
        Thread.sleep(Math.min(3000, seconds * 200L)); // warm-up, not measured
        latencies.forEach(List::clear);
        long start = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        running.set(false);
        double elapsed = (System.nanoTime() - start) / 1e9;
        for (Thread th : clients) {
            th.join();
        }
        long[] all = latencies.stream()
                .flatMap(List::stream)
                .mapToLong(Long::longValue)
                .sorted()
                .toArray();
        if (errors[0] > 0) {
            System.out.println("  (" + errors[0] + " failed requests)");
        }
        if (all.length == 0) {
            return new double[] {0, Double.NaN, Double.NaN};
        }
        return new double[] {
            all.length / elapsed,
            all[all.length / 2] / 1e6,
            all[Math.min(all.length - 1, (int) (all.length * 0.99))] / 1e6
        };
    }

    static double recall(Http http, List<float[]> queries) {
        double sum = 0;
        for (float[] q : queries) {
            Set<String> exact =
                    ids(http.post("/v1/search", "{\"vector\":" + Http.array(q) + ",\"k\":10,\"mode\":\"exact\"}")
                            .json());
            Set<String> approx =
                    ids(http.post("/v1/search", "{\"vector\":" + Http.array(q) + ",\"k\":10,\"mode\":\"approximate\"}")
                            .json());
            approx.retainAll(exact);
            sum += approx.size() / 10.0;
        }
        return sum / queries.size();
    }

    static Set<String> ids(JsonNode r) {
        Set<String> s = new HashSet<>();
        r.get("results").forEach(x -> s.add(x.get("id").asText()));
        return s;
    }

    private ServerBenchmark() {}
}
