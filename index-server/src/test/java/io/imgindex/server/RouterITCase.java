package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.flags.Flags;
import io.imgindex.format.ShardAssignment;
import io.imgindex.server.router.RouterServer;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.server.search.VectorMath;
import io.imgindex.testing.TestImages;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.IntStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A router over two shard servers, each serving one shard: merged results equal the oracle's, items are asked
 * of the server that holds them, and with one server stopped the router still answers within its deadline,
 * saying which shard is missing.
 */
class RouterITCase {

    static final int N = 3000;
    static final int DIM = ThumbnailDim.DIM;

    @TempDir
    static Path dir;

    static float[] vectors;
    static ShardServer a;
    static ShardServer b;
    static RouterServer router;
    static Http http;

    @BeforeAll
    static void start() throws Exception {
        vectors = SeededVectors.generate(N, DIM, 30, 21);
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
                        i -> Map.of(),
                        List.of()),
                new Configuration());
        a = shardServer("0", "--embed-endpoint");
        b = shardServer("1", "--embed-endpoint");
        router = router(a, b);
        http = new Http(router.http().hostAndPort());
    }

    static RouterServer router(ShardServer... backends) throws Exception {
        List<String> hostPorts = new ArrayList<>();
        for (ShardServer s : backends) {
            hostPorts.add(s.http().hostAndPort());
        }
        RouterServer r = RouterServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--router",
                            "--backends",
                            String.join(",", hostPorts),
                            "--port",
                            "0",
                            "--host",
                            "127.0.0.1",
                            "--router.deadline",
                            "1s"
                        },
                        ServeOptions.ALL)
                .options()));
        Http h = new Http(r.http().hostAndPort());
        try {
            Http.await(
                    "the router to see every shard",
                    Duration.ofSeconds(60),
                    () -> h.get("/readyz").status() == 200);
        } catch (AssertionError e) {
            throw new AssertionError(
                    e.getMessage() + "; its /v1/index: " + h.get("/v1/index").text(), e);
        }
        return r;
    }

    static ShardServer shardServer(String shards, String... more) throws Exception {
        return shardServer(dir, shards, more);
    }

    /** A shard server on a free loopback port over the index {@code photos} under {@code dir}. */
    static ShardServer shardServer(Path dir, String shards, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--index",
                dir.toString(),
                "--name",
                "photos",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--shards",
                shards,
                "--model-cache",
                "target/model-cache"));
        args.addAll(List.of(more));
        return ShardServer.start(ServerConfig.from(
                Flags.parse(args.toArray(new String[0]), ServeOptions.ALL).options()));
    }

    @AfterAll
    static void stop() {
        router.close();
        a.close();
        b.close();
    }

    static List<String> oracle(float[] query, int k, int onlyShard) {
        float[] q = VectorMath.normalised(query);
        return IntStream.range(0, N)
                .filter(i -> onlyShard < 0 || ShardAssignment.shardOf("id-" + i, 2) == onlyShard)
                .boxed()
                .sorted((x, y) ->
                        Float.compare(VectorMath.dot(q, vectors, y * DIM), VectorMath.dot(q, vectors, x * DIM)))
                .limit(k)
                .map(i -> "id-" + i)
                .toList();
    }

    static List<String> ids(JsonNode r) {
        List<String> out = new ArrayList<>();
        r.get("results").forEach(x -> out.add(x.get("id").asText()));
        return out;
    }

    @Test
    void mergesTheShardsAndRoutesItemsToTheirOwner() throws Exception {
        float[] query = SeededVectors.generate(1, DIM, 30, 5);
        Http.Reply r = http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10,\"mode\":\"exact\"}");
        assertThat(r.status()).as(r.text()).isEqualTo(200);
        assertThat(r.json().get("partial").asBoolean()).isFalse();
        float[] q = VectorMath.normalised(query);
        ToDoubleFunction<String> score = id -> VectorMath.dot(q, vectors, Rankings.row(id) * DIM);
        Rankings.assertSameRanking(ids(r.json()), oracle(query, 10, -1), score);

        String id = "id-17";
        Http.Reply item = http.get("/v1/items/" + id);
        assertThat(item.status()).isEqualTo(200);
        assertThat(item.json().get("shard").asInt()).isEqualTo(ShardAssignment.shardOf(id, 2));
        Http.Reply similar = http.get("/v1/items/" + id + "/similar?k=3&mode=exact");
        assertThat(ids(similar.json())).doesNotContain(id).hasSize(3);
        assertThat(http.post("/v1/search", "{\"vector\":[1,2]}").status()).isEqualTo(400);
        // An image query is embedded once by a backend (their /v1/embed is on), then searched on every shard.
        Http.Reply image = http.post("/v1/search/image?k=3", TestImages.sample("coffee.jpg"), "image/jpeg");
        assertThat(image.status()).as(image.text()).isEqualTo(200);
        assertThat(ids(image.json())).hasSize(3);

        // One shard server stops: the router answers with the other's shard, in time, and says so.
        b.close();
        long start = System.nanoTime();
        Http.Reply partial =
                http.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10,\"mode\":\"exact\"}");
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(partial.status()).as(partial.text()).isEqualTo(200);
        assertThat(partial.json().get("partial").asBoolean()).isTrue();
        assertThat(partial.json().get("missing_shards").toString()).isEqualTo("[1]");
        assertThat(ids(partial.json())).allMatch(hit -> ShardAssignment.shardOf(hit, 2) == 0);
        Rankings.assertSameRanking(ids(partial.json()), oracle(query, 10, 0), score);
        assertThat(ms).isLessThan(1500);
    }

    @Test
    void replicasAnswerEachShardOnceInOneGeneration() throws Exception {
        // Shard 0 on two servers, shard 1 on one of them: every query is answered once per shard.
        try (ShardServer both = shardServer("0,1");
                ShardServer zero = shardServer("0");
                RouterServer replicated = router(both, zero)) {
            Http h = new Http(replicated.http().hostAndPort());
            for (int q = 0; q < 6; q++) { // the replicas take turns
                float[] query = SeededVectors.generate(1, DIM, 30, 40 + q);
                Http.Reply r =
                        h.post("/v1/search", "{\"vector\":" + Http.array(query) + ",\"k\":10,\"mode\":\"exact\"}");
                assertThat(r.status()).as(r.text()).isEqualTo(200);
                assertThat(r.json().get("partial").asBoolean()).isFalse();
                assertThat(r.json().get("generation").asLong()).isEqualTo(1);
                float[] n = VectorMath.normalised(query);
                Rankings.assertSameRanking(
                        ids(r.json()), oracle(query, 10, -1), id -> VectorMath.dot(n, vectors, Rankings.row(id) * DIM));
            }
            // These backends do not lend their model: the router says what to change.
            Http.Reply image = h.post("/v1/search/image", TestImages.sample("coffee.jpg"), "image/jpeg");
            assertThat(image.status()).as(image.text()).isEqualTo(503);
            assertThat(image.json().get("error").asText()).contains("--embed-endpoint");
        }
    }
}
