package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.flags.Flags;
import io.imgindex.format.Manifest;
import io.imgindex.format.SegmentInfo;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.server.search.VectorMath;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Segments as servers serve them (format version 2): graphs built by the format's segment writer (the job's), mapped
 * by the server, searched with recall against an exact oracle, with and without PQ codes; a generation that lists
 * the previous one's segments plus a new one loads only the new one; switching back and forth between cached
 * generations under load fails no query; a version 1 generation is still served.
 */
class SegmentServingITCase {

    static final int DIM = ThumbnailDim.DIM;
    static final String TOKEN = "segment-test-token";

    @TempDir
    Path dir;

    TestGenerations.Spec spec(long generation, String prefix, float[] vectors) {
        return new TestGenerations.Spec(
                dir.resolve("out").toString(),
                "idx",
                generation,
                2,
                ThumbnailDim.MODEL,
                DIM,
                prefix,
                vectors,
                i -> Map.of("colour", i % 2 == 0 ? "red" : "blue"),
                List.of());
    }

    ShardServer serve(String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--index",
                dir.resolve("out").toString(),
                "--name",
                "idx",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--model-cache",
                "target/model-cache",
                "--cache-dir",
                dir.resolve("cache").toString(),
                "--watch-interval",
                "100ms"));
        args.addAll(List.of(more));
        return ShardServer.start(ServerConfig.from(Flags.parse(args.toArray(new String[0]), ServeOptions.ALL), TOKEN));
    }

    static List<String> ids(JsonNode results) {
        List<String> out = new ArrayList<>();
        results.get("results").forEach(r -> out.add(r.get("id").asText()));
        return out;
    }

    /** Recall@10 of approximate search against a brute-force scan of {@code vectors}, over 50 queries. */
    static double recall(Http http, float[] vectors, String prefix) {
        return recall(http, vectors, prefix, 64);
    }

    static double recall(Http http, float[] vectors, String prefix, int ef) {
        int n = vectors.length / DIM;
        double found = 0;
        for (int q = 0; q < 50; q++) {
            float[] query = VectorMath.normalised(SeededVectors.generate(1, DIM, 40, 9000 + q));
            Set<String> truth = new HashSet<>();
            IntStream.range(0, n)
                    .boxed()
                    .sorted((a, b) -> Float.compare(
                            VectorMath.dot(query, vectors, b * DIM), VectorMath.dot(query, vectors, a * DIM)))
                    .limit(10)
                    .forEach(i -> truth.add(prefix + i));
            Http.Reply r = http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10,\"ef\":" + ef + "}");
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            for (String id : ids(r.json())) {
                found += truth.contains(id) ? 1 : 0;
            }
        }
        return found / 500;
    }

    @Test
    void servesPrebuiltGraphsWithRecallAndLoadsOnlyNewSegments() throws Exception {
        // 12,000 rows in 2 shards: about 6,000 per segment, above PQ_MIN_ROWS, so the graph walk scores PQ codes.
        float[] first = SeededVectors.generate(12_000, DIM, 40, 3);
        Manifest one = TestGenerations.write(spec(1, "a-", first), new Configuration());
        assertThat(one.segments())
                .hasSize(2)
                .allSatisfy(s -> assertThat(s.graph().compressed()).isTrue());
        try (ShardServer server = serve("--graph-walk", "pq")) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "generation 1",
                    Duration.ofSeconds(60),
                    () -> http.get("/readyz").status() == 200);
            JsonNode info = http.get("/v1/index").json();
            assertThat(info.get("format_version").asInt()).isEqualTo(2);
            assertThat(info.get("load").get("segments_loaded").asInt()).isEqualTo(2);
            assertThat(info.get("load").get("graph_walk").asText()).isEqualTo("pq");
            double pqRecall = recall(http, first, "a-");
            System.out.printf("recall@10 of the PQ-walked segments: %.3f%n", pqRecall);
            assertThat(pqRecall).isGreaterThan(0.9);

            // A small commit on top: 500 rows as new segments, the first two listed as they are.
            float[] more = SeededVectors.generate(500, DIM, 40, 4);
            Manifest two = TestGenerations.writeOnTop(spec(2, "b-", more), one, new Configuration());
            assertThat(two.segments()).hasSize(4);
            Http.await("generation 2", Duration.ofSeconds(30), () -> generation(http) == 2);
            JsonNode load = http.get("/v1/index").json().get("load");
            assertThat(load.get("segments_loaded").asInt())
                    .as("only the new segments are read")
                    .isEqualTo(2);
            assertThat(load.get("segments_reused").asInt()).isEqualTo(2);
            long newBytes = two.files().stream()
                    .filter(f -> f.segment() != null && f.segment().startsWith("test-g2-"))
                    .mapToLong(io.imgindex.format.ManifestFile::bytes)
                    .sum();
            assertThat(load.get("bytes").asLong()).as("bytes read and verified").isEqualTo(newBytes);
            // Small segments are scanned exactly: a row of the new commit is its own nearest neighbour.
            Http.Reply own = http.get("/v1/items/b-7/similar?k=1");
            assertThat(own.status()).as(own.text()).isEqualTo(200);
            assertThat(http.get("/v1/items/b-7").status()).isEqualTo(200);
            assertThat(http.get("/v1/items/a-7").status()).isEqualTo(200);

            // Back to generation 1 and forward again, under concurrent queries: both are loaded, no query fails.
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger failed = new AtomicInteger();
            AtomicInteger answered = new AtomicInteger();
            String query = "{\"vector\":" + Http.array(SeededVectors.generate(1, DIM, 40, 77)) + ",\"k\":5}";
            Thread load1 = new Thread(() -> {
                while (!stop.get()) {
                    if (http.post("/v1/search", query).status() == 200) {
                        answered.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
            });
            load1.start();
            long start = System.nanoTime();
            assertThat(admin(http, "1").status()).isEqualTo(200);
            long back = System.nanoTime();
            assertThat(admin(http, "\"latest\"").status()).isEqualTo(200);
            long forth = System.nanoTime();
            Thread.onSpinWait();
            stop.set(true);
            load1.join();
            System.out.printf(
                    "rollback %.1f ms, and back %.1f ms, %d queries answered meanwhile%n",
                    (back - start) / 1e6, (forth - back) / 1e6, answered.get());
            assertThat(Duration.ofNanos(back - start)).isLessThan(Duration.ofSeconds(1));
            assertThat(Duration.ofNanos(forth - back)).isLessThan(Duration.ofSeconds(1));
            assertThat(failed.get()).isZero();
            assertThat(generation(http)).isEqualTo(2);
        }
        // By default a server whose vectors fit in memory walks the full vectors and leaves the PQ codes unread.
        try (ShardServer server = serve()) {
            Http http = new Http(server.http().hostAndPort());
            Http.await("generation 2", Duration.ofSeconds(60), () -> generation(http) == 2);
            assertThat(admin(http, "1").status()).isEqualTo(200);
            JsonNode load = http.get("/v1/index").json().get("load");
            assertThat(load.get("graph_walk").asText()).isEqualTo("full");
            // A PQ walk keeps four times ef candidates; the full walk is given the same number.
            double fullRecall = recall(http, first, "a-", 256);
            System.out.printf("recall@10 of the same segments walked on full vectors, ef 256: %.3f%n", fullRecall);
            assertThat(fullRecall).isGreaterThan(0.9);
        }
    }

    @Test
    void walksFullVectorsWhenThereAreNoCodesAndServesVersionOneGenerations() throws Exception {
        float[] vectors = SeededVectors.generate(3_000, DIM, 30, 5);
        Manifest segmented = TestGenerations.write(spec(1, "s-", vectors), new Configuration());
        assertThat(segmented.segments())
                .allSatisfy(s -> assertThat(s.graph().compressed()).isFalse());
        assertThat(segmented.segments().stream().mapToLong(SegmentInfo::rows).sum())
                .isEqualTo(3_000);
        try (ShardServer server = serve()) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "generation 1",
                    Duration.ofSeconds(60),
                    () -> http.get("/readyz").status() == 200);
            double r = recall(http, vectors, "s-");
            System.out.printf("recall@10 of full-vector walks: %.3f%n", r);
            assertThat(r).isGreaterThan(0.9);

            // A format version 1 generation (flat files, no graph) is still served: the graph is built at load.
            TestGenerations.writeFlat(spec(2, "f-", vectors), new Configuration());
            Http.await("generation 2", Duration.ofSeconds(60), () -> generation(http) == 2);
            assertThat(http.get("/v1/index").json().get("format_version").asInt())
                    .isEqualTo(1);
            double flat = recall(http, vectors, "f-");
            assertThat(flat).isGreaterThan(0.9);
        }
    }

    static Http.Reply admin(Http http, String generation) {
        return http.send(java.net.http.HttpRequest.newBuilder(http.uri("/admin/generation"))
                .header("Authorization", "Bearer " + TOKEN)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"generation\": " + generation + "}")));
    }

    static long generation(Http http) {
        Http.Reply r = http.get("/v1/index");
        return r.status() == 200 ? r.json().get("generation").asLong() : -1;
    }
}
