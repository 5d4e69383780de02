package io.imgindex.bench;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.cli.Flags;
import io.imgindex.server.Http;
import io.imgindex.server.ServeOptions;
import io.imgindex.server.ShardServer;
import io.imgindex.server.TestGenerations;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.testing.S3TestServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The index server measured: load time per million vectors (local folder, and the in-process S3 server), queries
 * per second and p50/p99 latency of exact and approximate search under a concurrent HTTP load, recall@10 of the
 * approximate search against exact, all against a plain single-threaded scan measured in the same run.
 *
 * <p>{@code benchmarks/run ServerBenchmark VECTORS DIMENSION [CLIENTS] [SECONDS] [s3] [faiss]}. The vectors are
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
        int shards = Math.max(2, (int) Math.ceil((double) n * dim * 4 / (600L << 20)));
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
        TestGenerations.write(
                spec(work.toString(), n, dim, shards, model, vectors), new org.apache.hadoop.conf.Configuration());
        System.out.printf("wrote the generation in %.1f s%n", (System.nanoTime() - t) / 1e9);
        vectors = null; // the servers load their own copy

        try (ShardServer server = start(work.toString(), cache, Map.of())) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "the generation",
                    Duration.ofHours(3),
                    () -> http.get("/readyz").status() == 200);
            JsonNode load = http.get("/v1/index").json().get("load");
            double readS = load.get("read_ms").asDouble() / 1000;
            double graphS = load.get("graphs_ms").asDouble() / 1000;
            System.out.printf(
                    "load from a local folder: %.1f MB read, verified and parsed in %.2f s (%.1f s per"
                            + " million vectors, %.0f MB/s); HNSW graphs built in %.1f s (%.1f s per million)%n%n",
                    load.get("bytes").asDouble() / 1e6,
                    readS,
                    readS * 1e6 / n,
                    load.get("bytes").asDouble() / 1e6 / readS,
                    graphS,
                    graphS * 1e6 / n);

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
                        mode.name().toLowerCase(java.util.Locale.ROOT),
                        inProcess(server, queries, mode, Math.min(seconds, 10)));
            }
        }
        if (s3) {
            try (S3TestServer store = new S3TestServer("bench", work.resolve("s3"))) {
                float[] again = SeededVectors.generate(n, dim, Math.max(10, n / 1000), 1);
                TestGenerations.write(spec(store.uri("indexes"), n, dim, shards, model, again), store.hadoopConf());
                again = null;
                Map<String, String> conf = new java.util.HashMap<>(store.flinkSettings());
                try (ShardServer server = start(store.uri("indexes"), cache, conf, "--hnsw=false")) {
                    Http http = new Http(server.http().hostAndPort());
                    Http.await(
                            "the generation from S3",
                            Duration.ofHours(3),
                            () -> http.get("/readyz").status() == 200);
                    JsonNode load = http.get("/v1/index").json().get("load");
                    double readS = load.get("read_ms").asDouble() / 1000;
                    System.out.printf(
                            "%nload from the in-process S3 server: %.1f MB in %.2f s (%.1f s per million"
                                    + " vectors, %.0f MB/s)%n",
                            load.get("bytes").asDouble() / 1e6,
                            readS,
                            readS * 1e6 / n,
                            load.get("bytes").asDouble() / 1e6 / readS);
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

    /** Little-endian float32, row after row: what NumPy's {@code fromfile(dtype='<f4')} reads. */
    static void writeFloats(Path file, float[] values, int dim) throws java.io.IOException {
        try (java.nio.channels.FileChannel out = java.nio.channels.FileChannel.open(
                file, java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE)) {
            java.nio.ByteBuffer buf =
                    java.nio.ByteBuffer.allocate(dim * 4 * 1024).order(java.nio.ByteOrder.LITTLE_ENDIAN);
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

    static void deleteTree(Path root) throws java.io.IOException {
        try (var paths = Files.walk(root)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Queries per second of the server's searcher called directly, one query at a time. */
    static double inProcess(ShardServer server, List<float[]> queries, Searcher.Mode mode, int seconds)
            throws InterruptedException {
        LoadedIndex index = server.served().current().orElseThrow();
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(
                Runtime.getRuntime().availableProcessors());
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

    static Searcher.Query query(float[] vector, Searcher.Mode mode) {
        return new Searcher.Query(vector, 10, mode, 100, null, false, null);
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
        return ShardServer.start(p.options(), p.flinkConf(), null);
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
