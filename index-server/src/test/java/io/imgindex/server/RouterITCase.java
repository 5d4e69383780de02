package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.cli.Flags;
import io.imgindex.format.ShardAssignment;
import io.imgindex.server.router.RouterServer;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.server.search.VectorMath;
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
        a = shardServer("0");
        b = shardServer("1");
        router = RouterServer.start(Flags.parse(
                        new String[] {
                            "--router",
                            "--backends",
                            a.http().hostAndPort() + "," + b.http().hostAndPort(),
                            "--port",
                            "0",
                            "--host",
                            "127.0.0.1",
                            "--router.deadline",
                            "1s"
                        },
                        ServeOptions.ALL)
                .options());
        http = new Http(router.http().hostAndPort());
        Http.await(
                "the router to see both shards",
                Duration.ofSeconds(60),
                () -> http.get("/readyz").status() == 200);
    }

    static ShardServer shardServer(String shards) throws Exception {
        return ShardServer.start(
                Flags.parse(
                                new String[] {
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
                                    "target/model-cache"
                                },
                                ServeOptions.ALL)
                        .options(),
                Map.of(),
                null);
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
}
