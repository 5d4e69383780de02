package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.IndexLayout;
import io.imgindex.server.search.SeededVectors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Generations a server must refuse while it keeps serving the one it has: an unknown format version, a file that
 * does not match its checksum, vectors of a model the server does not have. A good one afterwards is taken.
 */
class GenerationRefusalITCase {

    @TempDir
    Path dir;

    TestGenerations.Spec spec(long generation, String model) {
        return new TestGenerations.Spec(
                dir.toString(),
                "idx",
                generation,
                2,
                model,
                ThumbnailDim.DIM,
                "g" + generation + "-",
                SeededVectors.generate(200, ThumbnailDim.DIM, 5, generation),
                i -> Map.of(),
                List.of());
    }

    @Test
    void refusesBadGenerationsAndKeepsServing() throws Exception {
        TestGenerations.write(spec(1, ThumbnailDim.MODEL), new Configuration());
        try (ShardServer server = ShardServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--index",
                            dir.toString(),
                            "--name",
                            "idx",
                            "--port",
                            "0",
                            "--host",
                            "127.0.0.1",
                            "--model-cache",
                            "target/model-cache",
                            "--watch-interval",
                            "100ms"
                        },
                        ServeOptions.ALL)
                .options()))) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "generation 1",
                    Duration.ofSeconds(30),
                    () -> http.get("/readyz").status() == 200);

            // A future format version.
            TestGenerations.write(spec(2, ThumbnailDim.MODEL), new Configuration());
            Path manifest = dir.resolve("idx/generation=2").resolve(IndexLayout.MANIFEST);
            Files.writeString(
                    manifest, Files.readString(manifest).replace("\"format_version\" : 2", "\"format_version\" : 99"));
            awaitFailures(http, 1);
            assertThat(generation(http)).isEqualTo(1);
            assertThat(refused(http, 2)).contains("unsupported format version 99");

            // A segment's graph file that does not match its manifest.
            TestGenerations.write(spec(3, ThumbnailDim.MODEL), new Configuration());
            try (var files = Files.walk(dir.resolve("idx/segments"))) {
                Path data = files.filter(p -> p.toString().contains("test-g3-")
                                && p.toString().endsWith(".jvg"))
                        .findFirst()
                        .orElseThrow();
                byte[] b = Files.readAllBytes(data);
                b[b.length / 2] ^= 1;
                Files.write(data, b);
            }
            awaitFailures(http, 2);
            assertThat(generation(http)).isEqualTo(1);
            assertThat(refused(http, 3)).contains("SHA-256");

            // Vectors made by a model this server does not have.
            TestGenerations.write(spec(4, "some-unknown-model"), new Configuration());
            awaitFailures(http, 3);
            assertThat(generation(http)).isEqualTo(1);
            assertThat(refused(http, 4)).contains("some-unknown-model");
            assertThat(http.get("/readyz").status()).isEqualTo(200);

            TestGenerations.write(spec(5, ThumbnailDim.MODEL), new Configuration());
            Http.await("generation 5", Duration.ofSeconds(30), () -> generation(http) == 5);
            assertThat(http.get("/v1/index").json().has("refused")).isFalse();
        }
    }

    @Test
    void aServerWithNothingToServeSaysWhy() throws Exception {
        TestGenerations.write(spec(1, "some-unknown-model"), new Configuration());
        try (ShardServer server = ShardServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--index", dir.toString(),
                            "--name", "idx",
                            "--port", "0",
                            "--host", "127.0.0.1",
                            "--model-cache", "target/model-cache"
                        },
                        ServeOptions.ALL)
                .options()))) {
            Http http = new Http(server.http().hostAndPort());
            awaitFailures(http, 1);
            Http.Reply ready = http.get("/readyz");
            assertThat(ready.status()).isEqualTo(503);
            assertThat(ready.json().get("error").asText())
                    .contains("generation 1 was refused")
                    .contains("some-unknown-model");
            assertThat(http.post("/v1/search", "{\"id\":\"x\"}").status()).isEqualTo(503);
        }
    }

    @Test
    void aFreshServerFallsBackToTheNewestGenerationThatLoadsAndNeverFollowsTheLatestBackwards() throws Exception {
        TestGenerations.write(spec(1, ThumbnailDim.MODEL), new Configuration());
        TestGenerations.write(spec(2, ThumbnailDim.MODEL), new Configuration());
        try (var files = Files.walk(dir.resolve("idx/segments"))) {
            Path data = files.filter(p ->
                            p.toString().contains("test-g2-") && p.toString().endsWith(".jvg"))
                    .findFirst()
                    .orElseThrow();
            byte[] b = Files.readAllBytes(data);
            b[b.length / 2] ^= 1;
            Files.write(data, b);
        }
        try (ShardServer server = ShardServer.start(ServerConfig.from(Flags.parse(
                        new String[] {
                            "--index", dir.toString(),
                            "--name", "idx",
                            "--port", "0",
                            "--host", "127.0.0.1",
                            "--model-cache", "target/model-cache",
                            "--watch-interval", "100ms"
                        },
                        ServeOptions.ALL)
                .options()))) {
            Http http = new Http(server.http().hostAndPort());
            Http.await(
                    "a generation",
                    Duration.ofSeconds(30),
                    () -> http.get("/readyz").status() == 200);
            // _LATEST names the damaged generation 2: the server answers from 1, and says why.
            assertThat(generation(http)).isEqualTo(1);
            assertThat(refused(http, 2)).contains("SHA-256");

            // A good generation 3, then _LATEST moved back to 1 by hand: the server stays on 3.
            TestGenerations.write(spec(3, ThumbnailDim.MODEL), new Configuration());
            Http.await("generation 3", Duration.ofSeconds(30), () -> generation(http) == 3);
            Files.write(
                    dir.resolve("idx").resolve(IndexLayout.LATEST),
                    io.imgindex.format.ManifestCodec.encode(io.imgindex.format.LatestPointer.to(1, "t")));
            Thread.onSpinWait();
            long until = System.nanoTime() + Duration.ofSeconds(1).toNanos();
            while (System.nanoTime() < until) {
                assertThat(generation(http)).isEqualTo(3);
            }
        }
    }

    /** The reason /v1/index gives for the last refused generation, which must be {@code generation}. */
    static String refused(Http http, long generation) {
        var refused = http.get("/v1/index").json().get("refused");
        assertThat(refused).as("/v1/index names the refused generation").isNotNull();
        assertThat(refused.get("generation").asLong()).isEqualTo(generation);
        return refused.get("reason").asText();
    }

    static long generation(Http http) {
        return http.get("/v1/index").json().get("generation").asLong();
    }

    static void awaitFailures(Http http, int n) throws InterruptedException {
        Http.await(n + " refused generations", Duration.ofSeconds(30), () -> http.get("/metrics")
                .text()
                .contains("imgindex_generation_load_failures_total " + n));
    }
}
