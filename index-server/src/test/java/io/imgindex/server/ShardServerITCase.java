package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.flags.Flags;
import io.imgindex.format.DuplicateRow;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.server.search.VectorMath;
import io.imgindex.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * A shard server on port 0 over generations written by the format's writer on a local folder: results checked
 * against a brute-force oracle computed here, recall of the approximate search, filters, duplicates, items,
 * errors, and a swap and a rollback under concurrent queries with no failed request.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ShardServerITCase {

    static final int N = 6000;
    static final int DIM = ThumbnailDim.DIM;
    static final String TOKEN = "test-admin-token";

    @TempDir
    static Path dir;

    static float[] vectors;
    static ShardServer server;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        vectors = SeededVectors.generate(N, DIM, 60, 11);
        TestGenerations.write(spec(1, "id-", vectors), new Configuration());
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--index",
                    dir.resolve("out").toString(),
                    "--name",
                    "photos",
                    "--port",
                    "0",
                    "--host",
                    "127.0.0.1",
                    "--model-cache",
                    "target/model-cache",
                    "--watch-interval",
                    "200ms",
                    "--max-body",
                    "256kb",
                    "--load-threads",
                    "2"
                },
                ServeOptions.ALL);
        server = ShardServer.start(ServerConfig.from(p, TOKEN));
        http = new Http(server.http().hostAndPort());
        Http.await(
                "the first generation",
                Duration.ofSeconds(60),
                () -> http.get("/readyz").status() == 200);
    }

    static TestGenerations.Spec spec(long generation, String prefix, float[] v) {
        return new TestGenerations.Spec(
                dir.resolve("out").toString(),
                "photos",
                generation,
                3,
                ThumbnailDim.MODEL,
                DIM,
                prefix,
                v,
                i -> Map.of("colour", List.of("red", "green", "blue").get(i % 3), "price", String.valueOf(i % 50)),
                List.of(new DuplicateRow(
                        "copy-of-0",
                        "http://example.com/copy.jpg",
                        prefix + "0",
                        1f,
                        "exact",
                        "00",
                        0L,
                        null,
                        Map.of())));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The exact score of a row id for this query, as the oracle computes it. */
    static ToDoubleFunction<String> exactScore(float[] query) {
        float[] q = VectorMath.normalised(query);
        return id -> VectorMath.dot(q, vectors, Rankings.row(id) * DIM);
    }

    /** The oracle: every row scored, sorted by score. */
    static List<String> bruteForce(float[] query, int k, java.util.function.IntPredicate keep, String prefix) {
        float[] q = VectorMath.normalised(query);
        return IntStream.range(0, N)
                .filter(keep)
                .boxed()
                .sorted((a, b) ->
                        Float.compare(VectorMath.dot(q, vectors, b * DIM), VectorMath.dot(q, vectors, a * DIM)))
                .limit(k)
                .map(i -> prefix + i)
                .toList();
    }

    static List<String> ids(JsonNode results) {
        List<String> out = new ArrayList<>();
        results.get("results").forEach(r -> out.add(r.get("id").asText()));
        return out;
    }

    @Test
    void exactSearchMatchesTheBruteForceOracle() {
        for (int q = 0; q < 5; q++) {
            float[] query = SeededVectors.generate(1, DIM, 60, 500 + q);
            Http.Reply r =
                    http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10,\"mode\":\"exact\"}");
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            assertThat(r.json().get("mode").asText()).isEqualTo("exact");
            Rankings.assertSameRanking(ids(r.json()), bruteForce(query, 10, i -> true, "id-"), exactScore(query));
            double previous = 2;
            for (JsonNode hit : r.json().get("results")) {
                assertThat(hit.get("score").asDouble()).isLessThanOrEqualTo(previous);
                previous = hit.get("score").asDouble();
            }
        }
    }

    @Test
    void approximateSearchRecallsTheOracle() {
        double recall = 0;
        int queries = 40;
        for (int q = 0; q < queries; q++) {
            float[] query = SeededVectors.generate(1, DIM, 60, 900 + q);
            Http.Reply r = http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10}");
            assertThat(r.json().get("mode").asText()).isEqualTo("approximate");
            Set<String> got = new HashSet<>(ids(r.json()));
            got.retainAll(bruteForce(query, 10, i -> true, "id-"));
            recall += got.size() / 10.0;
        }
        recall /= queries;
        System.out.printf("recall@10 of the approximate search over %d vectors: %.3f%n", N, recall);
        assertThat(recall).isGreaterThan(0.95);
    }

    @Test
    void filtersOnEqualityAndRanges() {
        float[] query = SeededVectors.generate(1, DIM, 60, 42);
        String filter = "{\"colour\": {\"in\": [\"red\", \"blue\"]}, \"price\": {\"gte\": 10, \"lt\": 12}}";
        for (String mode : List.of("exact", "approximate")) {
            Http.Reply r = http.post(
                    "/v1/search",
                    "{\"vector\":" + Http.array(query) + ",\"k\":5,\"mode\":\"" + mode + "\",\"filter\":" + filter
                            + "}");
            assertThat(r.status()).as(r.text()).isEqualTo(200);
            List<String> got = ids(r.json());
            assertThat(got)
                    .as(mode)
                    .allMatch(id ->
                            Rankings.row(id) % 3 != 1 && Rankings.row(id) % 50 >= 10 && Rankings.row(id) % 50 < 12);
            Rankings.assertSameRanking(
                    got,
                    bruteForce(query, 5, i -> i % 3 != 1 && i % 50 >= 10 && i % 50 < 12, "id-"),
                    exactScore(query));
        }
    }

    @Test
    void itemsSimilarAndDuplicates() {
        Http.Reply item = http.get("/v1/items/id-0");
        assertThat(item.status()).isEqualTo(200);
        assertThat(item.json().get("url").asText()).isEqualTo("http://example.com/id-0.jpg");
        assertThat(item.json().get("duplicates").get(0).get("id").asText()).isEqualTo("copy-of-0");
        Http.Reply copy = http.get("/v1/items/copy-of-0");
        assertThat(copy.json().get("duplicate_of").asText()).isEqualTo("id-0");

        float[] v0 = Arrays.copyOfRange(vectors, 0, DIM);
        Http.Reply similar = http.get("/v1/items/id-0/similar?k=5&mode=exact");
        assertThat(ids(similar.json())).doesNotContain("id-0");
        Rankings.assertSameRanking(
                ids(similar.json()), bruteForce(v0, 6, i -> true, "id-").subList(1, 6), exactScore(v0));

        Http.Reply withDups = http.post(
                "/v1/search",
                "{\"vector\":" + Http.array(v0) + ",\"k\":1,\"include_duplicates\":true,\"mode\":\"exact\"}");
        assertThat(withDups.json()
                        .get("results")
                        .get(0)
                        .get("duplicates")
                        .get(0)
                        .get("id")
                        .asText())
                .isEqualTo("copy-of-0");
    }

    @Test
    void describesTheIndexAndCountsRequests() {
        Http.Reply index = http.get("/v1/index");
        assertThat(index.json().get("vectors").asInt()).isEqualTo(N);
        assertThat(index.json().get("model").get("dimension").asInt()).isEqualTo(DIM);
        assertThat(index.json().get("shards_loaded")).hasSize(3);
        assertThat(http.get("/healthz").status()).isEqualTo(200);
        String metrics = http.get("/metrics").text();
        assertThat(metrics)
                .contains("imgindex_requests_total{endpoint=\"index\",status=\"200\"}")
                .contains("imgindex_request_duration_seconds_bucket{endpoint=\"index\",le=\"+Inf\"}")
                .containsPattern("imgindex_generation \\d+")
                .containsPattern("imgindex_http_connections [1-9]\\d*")
                .contains("# TYPE imgindex_http_workers_busy gauge")
                .containsPattern("imgindex_http_queued \\d+")
                .containsPattern("imgindex_http_body_bytes_receiving \\d+");
    }

    @Test
    void answersBadRequestsWithJsonErrors() {
        String ok = Http.array(SeededVectors.generate(1, DIM, 60, 3));
        assertError(http.post("/v1/search", "{\"vector\":[1,2,3]}"), 400, "has 3 values");
        assertError(http.post("/v1/search", "{\"vector\":[\"NaN\"" + ",1".repeat(DIM - 1) + "]}"), 400, "vector[0]");
        assertError(http.post("/v1/search", "{\"vector\":" + ok + ",\"k\":0}"), 400, "k must be within 1..1000");
        assertError(http.post("/v1/search", "{\"vector\":" + ok + ",\"k\":5000}"), 400, "k must be within");
        assertError(http.post("/v1/search", "{\"vector\":[1,2"), 400, "malformed JSON");
        // Arrays are bounded while they are read (the vector's dimension, or the longest 'in' list), not after a
        // tree of every value has been built.
        assertError(
                http.post("/v1/search", "{\"vector\":[" + "1,".repeat(50_000) + "1]}"),
                400,
                "an array has more than 1024 values");
        assertError(
                http.post(
                        "/v1/search",
                        "{\"vector\":" + ok + ",\"filter\":{\"colour\":{\"in\":[" + "\"red\",".repeat(1_500)
                                + "\"blue\"]}}}"),
                400,
                "an array has more than 1024 values");
        assertError(http.post("/v1/search", "{\"vector\":" + ok + ",\"top_k\":3}"), 400, "unknown field 'top_k'");
        assertError(
                http.post("/v1/search", "{\"vector\":" + ok + ",\"filter\":{\"size\":1}}"),
                400,
                "unknown metadata column 'size'");
        assertError(http.post("/v1/search", "{\"vector\":" + ok + ",\"mode\":\"fast\"}"), 400, "mode must be");
        assertError(http.post("/v1/search", new byte[300 * 1024], "application/json"), 413, "larger than the limit");
        assertError(http.get("/v1/items/nope"), 404, "no item 'nope'");
        assertError(http.post("/v1/search/image", TestImages.html(), "image/jpeg"), 422, "NOT_AN_IMAGE");
        assertError(http.post("/v1/search/image", "hello".getBytes(), "text/plain"), 415, "Content-Type");
        // Crafted images are refused from their headers, never a 500 (the thin PNG was a NegativeArraySizeException).
        assertError(
                http.post("/v1/search/image", TestImages.pngBomb(1, 50_000_000), "image/png"), 422, "BAD_DIMENSIONS");
        assertError(
                http.post("/v1/search/image", TestImages.thinPng(1, 3_000_000), "image/png"), 422, "BAD_DIMENSIONS");
        assertError(
                http.post(
                        "/v1/search/image",
                        TestImages.withRepeatedLastScan(TestImages.progressiveJpeg(256, 192), 300),
                        "image/jpeg"),
                422,
                "TOO_MANY_SCANS");
        assertError(http.get("/v1/nothing"), 404, "no such endpoint");
        assertError(http.get("/v1/search"), 405, "not allowed");
        assertError(http.post("/v1/search/image", "{\"url\":\"http://127.0.0.1:1/x.jpg\"}"), 400, "BLOCKED_ADDRESS");
        // still serving
        assertThat(http.post("/v1/search", "{\"vector\":" + ok + "}").status()).isEqualTo(200);
    }

    @Test
    void searchesByImageWithTheIndexModel() {
        Http.Reply r = http.post("/v1/search/image?k=3&mode=exact", TestImages.sample("coffee.jpg"), "image/jpeg");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().get("results")).hasSize(3);
    }

    @Test
    void aDecodePastItsTimeLimitIsRefusedAndTheServerGoesOn() throws Exception {
        // Every decode runs past a limit of one nanosecond: --decode.timeout reaches the query embedder's decoder
        // and the request is refused with DECODE_TIMEOUT (ImageDecoderTest stops a real decode mid-way).
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--index", dir.resolve("out").toString(),
                    "--name", "photos",
                    "--port", "0",
                    "--host", "127.0.0.1",
                    "--model-cache", "target/model-cache",
                    "--decode.timeout", "1ns"
                },
                ServeOptions.ALL);
        try (ShardServer hasty = ShardServer.start(ServerConfig.from(p, TOKEN))) {
            Http h = new Http(hasty.http().hostAndPort());
            Http.await(
                    "the first generation",
                    Duration.ofSeconds(60),
                    () -> h.get("/readyz").status() == 200);
            assertError(
                    h.post("/v1/search/image", TestImages.sample("coffee.jpg"), "image/jpeg"), 422, "DECODE_TIMEOUT");
            String vector = Http.array(java.util.Arrays.copyOf(vectors, DIM));
            assertThat(h.post("/v1/search", "{\"vector\":" + vector + ",\"k\":3}")
                            .status())
                    .as("still serving")
                    .isEqualTo(200);
        }
    }

    static void assertError(Http.Reply r, int status, String message) {
        assertThat(r.status()).as(r.text()).isEqualTo(status);
        assertThat(r.json().get("error").asText()).contains(message);
    }

    @Test
    @Order(Integer.MAX_VALUE) // moves the server to generation 2: the other tests check generation 1
    void swapsAndRollsBackWithoutFailingAQuery() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger failures = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        Set<Long> seen = ConcurrentHashMap.newKeySet();
        String query = "{\"vector\":" + Http.array(SeededVectors.generate(1, DIM, 60, 77)) + ",\"k\":5}";
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < 4; c++) {
            Thread t = new Thread(() -> {
                while (running.get()) {
                    Http.Reply r = http.post("/v1/search", query);
                    if (r.status() != 200) {
                        failures.incrementAndGet();
                    } else {
                        seen.add(r.json().get("generation").asLong());
                    }
                    done.incrementAndGet();
                }
            });
            t.start();
            clients.add(t);
        }
        try {
            TestGenerations.write(spec(2, "g2-", SeededVectors.generate(N, DIM, 60, 12)), new Configuration());
            Http.await("generation 2", Duration.ofSeconds(60), () -> generation() == 2);
            Http.await("queries on generation 2", Duration.ofSeconds(30), () -> seen.contains(2L));

            assertError(http.send(admin("{\"generation\":1}", "wrong")), 401, "admin token");
            Http.Reply back = http.send(admin("{\"generation\":1}", TOKEN));
            assertThat(back.status()).as(back.text()).isEqualTo(200);
            assertThat(back.json().get("pinned").asBoolean()).isTrue();
            assertThat(generation()).isEqualTo(1);
            // An absence can only be watched for a while: three of the watcher's rounds must not move a pinned server.
            long rounds = server.served().watchRounds();
            Http.await(
                    "three watch rounds",
                    Duration.ofSeconds(30),
                    () -> server.served().watchRounds() >= rounds + 3);
            assertThat(generation()).isEqualTo(1);
            assertError(http.send(admin("{\"generation\":7}", TOKEN)), 409, "cannot switch");

            Http.Reply latest = http.send(admin("{\"generation\":\"latest\"}", TOKEN));
            assertThat(latest.json().get("generation").asLong()).isEqualTo(2);
            assertThat(latest.json().get("pinned").asBoolean()).isFalse();
        } finally {
            running.set(false);
            for (Thread t : clients) {
                t.join();
            }
        }
        System.out.printf(
                "swap and rollback: %d queries, %d failed, generations seen %s%n", done.get(), failures.get(), seen);
        assertThat(failures.get()).isZero();
        assertThat(seen).contains(1L, 2L);
    }

    static long generation() {
        return http.get("/v1/index").json().get("generation").asLong();
    }

    static java.net.http.HttpRequest.Builder admin(String body, String token) {
        return java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create("http://" + server.http().hostAndPort() + "/admin/generation"))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body));
    }
}
