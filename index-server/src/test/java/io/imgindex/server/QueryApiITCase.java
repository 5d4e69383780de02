package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.ShardAssignment;
import io.imgindex.server.http.BrowseCursor;
import io.imgindex.server.router.RouterServer;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.server.search.VectorMath;
import io.imgindex.testing.TestImages;
import java.awt.Color;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntPredicate;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The query API a search client reaches for, on a shard server serving both shards and on a router over two shard
 * servers, each answer checked against a brute-force reference over the same vectors and metadata: batches, pages,
 * score thresholds, fields, filters with or and not, browsing by metadata, many items by id, CORS, the spec.
 */
class QueryApiITCase {

    static final int N = 2000;
    static final int DIM = ThumbnailDim.DIM;
    static final String[] COLOURS = {"red", "green", "blue", "grey", "amber"};

    @TempDir
    static Path dir;

    static float[] vectors;
    static ShardServer whole;
    static ShardServer a;
    static ShardServer b;
    static RouterServer router;
    static Http server;
    static Http viaRouter;

    static String colour(int i) {
        return COLOURS[i % COLOURS.length];
    }

    static int price(int i) {
        return (i * 7) % 100;
    }

    static String licence(int i) {
        return i % 3 == 0 ? "NC" : "CC0";
    }

    /** A duplicate whose own id is in the other shard than the item it duplicates (where it is recorded). */
    static String crossShardCopy;

    static int crossShardItem;

    @BeforeAll
    static void start() throws Exception {
        vectors = SeededVectors.generate(N, DIM, 30, 77);
        for (int j = 0; crossShardCopy == null; j++) {
            if (ShardAssignment.shardOf("dup-" + j, 2) != ShardAssignment.shardOf("id-" + j, 2)) {
                crossShardCopy = "dup-" + j;
                crossShardItem = j;
            }
        }
        TestGenerations.write(
                new TestGenerations.Spec(
                        dir.toString(),
                        "photos",
                        1,
                        2,
                        ThumbnailDim.MODEL,
                        DIM,
                        "id-",
                        vectors,
                        i -> Map.of(
                                "colour", colour(i),
                                "price", Integer.toString(price(i)),
                                "licence", licence(i)),
                        List.of(
                                new DuplicateRow(
                                        "copy-of-5",
                                        "https://img.example/copy.jpg",
                                        "id-5",
                                        0.97f,
                                        DuplicateRow.MATCH_NEAR,
                                        null,
                                        0,
                                        null,
                                        Map.of()),
                                new DuplicateRow(
                                        crossShardCopy,
                                        "https://img.example/other.jpg",
                                        "id-" + crossShardItem,
                                        1.0f,
                                        DuplicateRow.MATCH_EXACT,
                                        null,
                                        0,
                                        null,
                                        Map.of()))),
                new Configuration(),
                i -> i % 4 == 0 ? null : thumbnailOf(i));
        whole = RouterITCase.shardServer(dir, "0,1", "--cors-origins", "http://page.example");
        a = RouterITCase.shardServer(dir, "0");
        b = RouterITCase.shardServer(dir, "1");
        router = RouterITCase.router(a, b);
        server = new Http(whole.http().hostAndPort());
        viaRouter = new Http(router.http().hostAndPort());
    }

    /** Row i's thumbnail: a tiny JPEG of its own colour. */
    static byte[] thumbnailOf(int i) {
        return TestImages.encoded("jpg", 8 + i % 7, 6, new Color(i % 256, 80, 160));
    }

    @AfterAll
    static void stop() {
        router.close();
        a.close();
        b.close();
        whole.close();
    }

    /** The reference: every row passing {@code keep}, best first. */
    static List<Integer> ranking(float[] query, IntPredicate keep) {
        float[] q = VectorMath.normalised(query);
        return IntStream.range(0, N)
                .filter(keep)
                .boxed()
                .sorted((x, y) ->
                        Float.compare(VectorMath.dot(q, vectors, y * DIM), VectorMath.dot(q, vectors, x * DIM)))
                .toList();
    }

    static List<String> ids(List<Integer> rows) {
        return rows.stream().map(i -> "id-" + i).toList();
    }

    static List<String> ids(JsonNode results) {
        List<String> out = new ArrayList<>();
        results.forEach(x -> out.add(x.get("id").asText()));
        return out;
    }

    static ToDoubleFunction<String> scoreOf(float[] query) {
        float[] q = VectorMath.normalised(query);
        return id -> VectorMath.dot(q, vectors, Rankings.row(id) * DIM);
    }

    static Http.Reply ok(Http.Reply r) {
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        return r;
    }

    @Test
    void aBatchAnswersEachQueryAsTheReferenceDoes() {
        float[] all = SeededVectors.generate(12, DIM, 30, 3);
        StringBuilder body = new StringBuilder("{\"queries\":[");
        List<float[]> queries = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            float[] q = new float[DIM];
            System.arraycopy(all, i * DIM, q, 0, DIM);
            queries.add(q);
            body.append(i == 0 ? "" : ",")
                    .append("{\"vector\":")
                    .append(Http.array(q))
                    .append(",\"k\":")
                    .append(3 + i)
                    .append(",\"mode\":\"exact\"}");
        }
        body.append("]}");
        for (Http http : List.of(server, viaRouter)) {
            JsonNode responses =
                    ok(http.post("/v1/search/batch", body.toString())).json().get("responses");
            assertThat(responses).hasSize(12);
            for (int i = 0; i < 12; i++) {
                Rankings.assertSameRanking(
                        ids(responses.get(i).get("results")),
                        ids(ranking(queries.get(i), x -> true).subList(0, 3 + i)),
                        scoreOf(queries.get(i)));
            }
        }
        assertThat(server.post("/v1/search/batch", "{\"queries\":[{\"vector\":[1,2]}]}")
                        .text())
                .contains("queries[0]: vector has 2 values");
        assertThat(server.post("/v1/search/batch", "{\"queries\":[]}").status()).isEqualTo(400);
    }

    @Test
    void aPageIsTheReferenceRankingCutAtItsOffset() {
        float[] query = SeededVectors.generate(1, DIM, 30, 9);
        List<String> reference = ids(ranking(query, x -> true));
        for (Http http : List.of(server, viaRouter)) {
            JsonNode page = ok(http.post(
                            "/v1/search",
                            "{\"vector\":" + Http.array(query) + ",\"k\":5,\"offset\":10,\"mode\":\"exact\"}"))
                    .json();
            Rankings.assertSameRanking(ids(page.get("results")), reference.subList(10, 15), scoreOf(query));
        }
        assertThat(server.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"offset\":-1}")
                        .status())
                .isEqualTo(400);
    }

    @Test
    void aScoreThresholdEndsTheRankingWhereTheReferenceDoes() {
        float[] query = SeededVectors.generate(1, DIM, 30, 11);
        List<String> reference = ids(ranking(query, x -> true));
        ToDoubleFunction<String> score = scoreOf(query);
        // Half-way between the 7th and 8th scores: seven results, whatever k allows.
        double threshold = (score.applyAsDouble(reference.get(6)) + score.applyAsDouble(reference.get(7))) / 2;
        for (Http http : List.of(server, viaRouter)) {
            JsonNode results = ok(http.post(
                            "/v1/search",
                            "{\"vector\":" + Http.array(query) + ",\"k\":50,\"mode\":\"exact\",\"score_threshold\":"
                                    + threshold + "}"))
                    .json()
                    .get("results");
            Rankings.assertSameRanking(ids(results), reference.subList(0, 7), score);
            results.forEach(r -> assertThat(r.get("score").asDouble()).isGreaterThanOrEqualTo(threshold));
        }
    }

    @Test
    void fieldsChooseWhatAResultCarries() {
        float[] query = SeededVectors.generate(1, DIM, 30, 13);
        for (Http http : List.of(server, viaRouter)) {
            JsonNode plain = ok(http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":3}"))
                    .json()
                    .get("results")
                    .get(0);
            assertThat(plain.has("metadata")).isTrue();
            assertThat(plain.has("vector")).isFalse();
            JsonNode withVector = ok(http.post(
                            "/v1/search",
                            "{\"vector\":" + Http.array(query) + ",\"k\":3,\"fields\":[\"vector\",\"duplicates\"]}"))
                    .json()
                    .get("results")
                    .get(0);
            assertThat(withVector.has("metadata")).isFalse();
            assertThat(withVector.has("duplicates")).isTrue();
            float[] stored =
                    VectorMath.normalised(row(Rankings.row(withVector.get("id").asText())));
            for (int d = 0; d < DIM; d++) {
                assertThat(withVector.get("vector").get(d).floatValue()).isCloseTo(stored[d], within(1e-5f));
            }
            JsonNode bare = ok(http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":3,\"fields\":[]}"))
                    .json()
                    .get("results")
                    .get(0);
            assertThat(bare.has("metadata") || bare.has("vector") || bare.has("duplicates"))
                    .isFalse();
        }
        assertThat(server.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"fields\":[\"colour\"]}")
                        .text())
                .contains("unknown field 'colour'");
    }

    static float[] row(int i) {
        float[] v = new float[DIM];
        System.arraycopy(vectors, i * DIM, v, 0, DIM);
        return v;
    }

    /** (colour red or price below 10) and not licence NC. */
    static final String FILTER = "{\"or\":[{\"colour\":\"red\"},{\"price\":{\"lt\":10}}],\"not\":{\"licence\":\"NC\"}}";

    static boolean passes(int i) {
        return (colour(i).equals("red") || price(i) < 10) && !licence(i).equals("NC");
    }

    @Test
    void filtersCombineWithOrAndNotAsTheReferenceDoes() {
        float[] query = SeededVectors.generate(1, DIM, 30, 17);
        List<String> reference = ids(ranking(query, QueryApiITCase::passes));
        for (Http http : List.of(server, viaRouter)) {
            for (String mode : List.of("exact", "approximate")) {
                JsonNode results = ok(http.post(
                                "/v1/search",
                                "{\"vector\":" + Http.array(query) + ",\"k\":20,\"mode\":\"" + mode + "\",\"filter\":"
                                        + FILTER + "}"))
                        .json()
                        .get("results");
                assertThat(ids(results)).hasSize(20).allMatch(id -> passes(Rankings.row(id)));
                if (mode.equals("exact")) {
                    Rankings.assertSameRanking(ids(results), reference.subList(0, 20), scoreOf(query));
                }
            }
        }
        String deep = "{\"not\":".repeat(9) + "{\"colour\":\"red\"}" + "}".repeat(9);
        assertThat(server.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"filter\":" + deep + "}")
                        .text())
                .contains("deeper than 8");
    }

    @Test
    void browsingPagesThroughEveryFilteredItemOnce() {
        Set<String> reference = new HashSet<>(
                ids(IntStream.range(0, N).filter(QueryApiITCase::passes).boxed().toList()));
        String filter = URLEncoder.encode(FILTER, StandardCharsets.UTF_8);
        for (Http http : List.of(server, viaRouter)) {
            List<String> seen = new ArrayList<>();
            String cursor = null;
            int pages = 0;
            do {
                JsonNode page = ok(http.get(
                                "/v1/items?limit=97&filter=" + filter + (cursor == null ? "" : "&cursor=" + cursor)))
                        .json();
                page.get("items").forEach(item -> {
                    seen.add(item.get("id").asText());
                    assertThat(item.get("metadata").get("licence").asText()).isEqualTo("CC0");
                });
                cursor = page.get("next_cursor").isNull()
                        ? null
                        : page.get("next_cursor").asText();
                pages++;
            } while (cursor != null && pages < 100);
            assertThat(seen).doesNotHaveDuplicates();
            assertThat(new HashSet<>(seen)).isEqualTo(reference);
        }
        assertThat(server.get("/v1/items?cursor=not-a-cursor").status()).isEqualTo(400);
        String stale = new BrowseCursor(7, 0, 3).token();
        assertThat(server.get("/v1/items?cursor=" + stale).status()).isEqualTo(409);
        assertThat(viaRouter.get("/v1/items?cursor=" + stale).status()).isEqualTo(409);
        assertThat(server.get("/v1/items?limit=0").status()).isEqualTo(400);
    }

    @Test
    void manyItemsByIdComeInTheOrderAskedWithTheMissingNamed() {
        String body = "{\"ids\":[\"id-7\",\"nope\",\"copy-of-5\",\"id-1200\"],\"fields\":[\"vector\"]}";
        for (Http http : List.of(server, viaRouter)) {
            JsonNode r = ok(http.post("/v1/items", body)).json();
            assertThat(ids(r.get("items"))).containsExactly("id-7", "copy-of-5", "id-1200");
            assertThat(r.get("missing").toString()).isEqualTo("[\"nope\"]");
            assertThat(r.get("items").get(0).get("vector")).hasSize(DIM);
            assertThat(r.get("items").get(1).get("duplicate_of").asText()).isEqualTo("id-5");
            assertThat(r.get("items").get(2).get("shard").asInt()).isEqualTo(ShardAssignment.shardOf("id-1200", 2));
        }
        assertThat(server.post("/v1/items", "{\"ids\":[]}").status()).isEqualTo(400);
        assertThat(server.post("/v1/items", "{\"ids\":[1]}").status()).isEqualTo(400);
    }

    @Test
    void aDuplicateIsFoundThroughTheRouterWhereverItIsRecorded() {
        // Recorded with its item, in the other shard than its own id's: the router asks the other backend too.
        for (Http http : List.of(server, viaRouter)) {
            JsonNode one = ok(http.get("/v1/items/" + crossShardCopy)).json();
            assertThat(one.get("duplicate_of").asText()).isEqualTo("id-" + crossShardItem);
            JsonNode many = ok(http.post("/v1/items", "{\"ids\":[\"" + crossShardCopy + "\",\"nope\"]}"))
                    .json();
            assertThat(ids(many.get("items"))).containsExactly(crossShardCopy);
            assertThat(many.get("missing").toString()).isEqualTo("[\"nope\"]");
        }
    }

    @Test
    void onlyTheNamedOriginsMayReadAnswers() {
        Http.Reply allowed =
                server.send(HttpRequest.newBuilder(server.uri("/v1/index")).header("Origin", "http://page.example"));
        assertThat(allowed.status()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("access-control-allow-origin")).hasValue("http://page.example");
        Http.Reply other =
                server.send(HttpRequest.newBuilder(server.uri("/v1/index")).header("Origin", "http://evil.example"));
        assertThat(other.headers().firstValue("access-control-allow-origin")).isEmpty();
        Http.Reply preflight = server.send(HttpRequest.newBuilder(server.uri("/v1/search"))
                .header("Origin", "http://page.example")
                .header("Access-Control-Request-Method", "POST")
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()));
        assertThat(preflight.status()).isEqualTo(204);
        assertThat(preflight.headers().firstValue("access-control-allow-methods"))
                .hasValue("GET, POST");
        // Off by default: the router was started without --cors-origins.
        Http.Reply off = viaRouter.send(
                HttpRequest.newBuilder(viaRouter.uri("/v1/index")).header("Origin", "http://page.example"));
        assertThat(off.headers().firstValue("access-control-allow-origin")).isEmpty();
    }

    @Test
    void thumbnailsAreServedWithValidatorsAndListedInResults() {
        for (Http http : List.of(server, viaRouter)) {
            Http.Reply thumb = http.send(HttpRequest.newBuilder(http.uri("/v1/items/id-5/thumbnail")));
            assertThat(thumb.status()).as(thumb.text()).isEqualTo(200);
            assertThat(thumb.headers().firstValue("content-type")).hasValue("image/jpeg");
            String etag = thumb.headers().firstValue("etag").orElseThrow();
            byte[] body = http.bytes("/v1/items/id-5/thumbnail");
            assertThat(body).isEqualTo(thumbnailOf(5));
            Http.Reply again = http.send(
                    HttpRequest.newBuilder(http.uri("/v1/items/id-5/thumbnail")).header("If-None-Match", etag));
            assertThat(again.status()).isEqualTo(304);
            // Row 4 has none, nor does this duplicate (its file has no pack); an unknown id is not found either.
            assertThat(http.get("/v1/items/id-4/thumbnail").status()).isEqualTo(404);
            assertThat(server.get("/v1/items/copy-of-5/thumbnail").text()).contains("has no thumbnail");
            assertThat(http.get("/v1/items/nope/thumbnail").status()).isEqualTo(404);
            JsonNode item = ok(http.get("/v1/items/id-5")).json();
            assertThat(item.get("thumbnail_url").asText()).isEqualTo("/v1/items/id-5/thumbnail");
            float[] query = row(5);
            JsonNode hit = ok(http.post(
                            "/v1/search",
                            "{\"vector\":" + Http.array(query)
                                    + ",\"k\":1,\"mode\":\"exact\",\"fields\":[\"thumbnail_url\"]}"))
                    .json()
                    .get("results")
                    .get(0);
            assertThat(hit.get("id").asText()).isEqualTo("id-5");
            assertThat(hit.get("thumbnail_url").asText()).isEqualTo("/v1/items/id-5/thumbnail");
        }
    }

    @Test
    void bothServeTheirApiDescription() {
        for (Http http : List.of(server, viaRouter)) {
            Http.Reply spec = ok(http.get("/openapi.yaml"));
            assertThat(spec.text()).contains("openapi:").contains("operationId: searchBatch");
        }
    }

    @Test
    void theRouterDescribesTheIndexItsBackendsServe() {
        JsonNode shard = ok(server.get("/v1/index")).json();
        JsonNode routed = ok(viaRouter.get("/v1/index")).json();
        assertThat(routed.get("router").asBoolean()).isTrue();
        for (String field : List.of(
                "name", "generation", "format_version", "model", "shards_total", "counts", "metadata_columns")) {
            assertThat(routed.get(field)).as(field).isEqualTo(shard.get(field));
        }
        // The two backends' shards, each counted once, add up to the whole.
        assertThat(routed.get("vectors").asLong())
                .isEqualTo(N)
                .isEqualTo(shard.get("vectors").asLong());
        assertThat(routed.get("vectors_by_shard")).isEqualTo(shard.get("vectors_by_shard"));
        assertThat(routed.get("shards_loaded")).isEqualTo(shard.get("shards_loaded"));
        assertThat(routed.get("backends")).hasSize(2);
        assertThat(routed.get("missing_shards")).isEmpty();
    }
}
