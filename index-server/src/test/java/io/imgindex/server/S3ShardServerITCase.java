package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.testing.S3TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A shard server loading its generation from an in-process S3 server through S3A, with the job's s3.* keys. */
class S3ShardServerITCase {

    // One S3 server for the class: S3A caches a file system per bucket in the JVM, endpoint and all.
    static S3TestServer s3;
    static float[] vectors;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3TestServer("indexes");
        vectors = SeededVectors.generate(500, ThumbnailDim.DIM, 10, 3);
        TestGenerations.write(
                new TestGenerations.Spec(
                        s3.uri("prod"),
                        "photos",
                        4,
                        2,
                        ThumbnailDim.MODEL,
                        ThumbnailDim.DIM,
                        "id-",
                        vectors,
                        i -> Map.of("n", String.valueOf(i)),
                        List.of()),
                s3.hadoopConf());
    }

    @AfterAll
    static void stop() {
        s3.close();
    }

    private static ShardServer serve(S3TestServer s3, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(flags(s3)));
        args.addAll(List.of(more));
        Flags.Parsed p = Flags.parse(args.toArray(new String[0]), ServeOptions.ALL);
        ShardServer server = ShardServer.start(ServerConfig.from(p, null));
        Http http = new Http(server.http().hostAndPort());
        Http.await(
                "the generation from S3",
                Duration.ofSeconds(60),
                () -> http.get("/readyz").status() == 200);
        return server;
    }

    @Test
    void servesAGenerationFromS3() throws Exception {
        try (ShardServer server = serve(s3)) {
            Http http = new Http(server.http().hostAndPort());
            Http.Reply index = http.get("/v1/index");
            assertThat(index.json().get("generation").asLong()).isEqualTo(4);
            assertThat(index.json().get("vectors").asInt()).isEqualTo(500);
            float[] q = Arrays.copyOfRange(vectors, 7 * ThumbnailDim.DIM, 8 * ThumbnailDim.DIM);
            Http.Reply r = http.post("/v1/search", "{\"vector\":" + Http.array(q) + ",\"k\":1,\"mode\":\"exact\"}");
            assertThat(r.json().get("results").get(0).get("id").asText()).isEqualTo("id-7");
        }
    }

    @Test
    void searchByUrlReadsNoObjectUnlessAskedAndThenTellsNothingOfAFailure() throws Exception {
        String existing = s3.uri("prod/photos/_LATEST"); // an object the server's credentials read, not an image
        String missing = s3.uri("prod/photos/no-such-object.jpg");
        try (ShardServer server = serve(s3)) {
            Http http = new Http(server.http().hostAndPort());
            for (String url : List.of(existing, missing)) {
                Http.Reply r = http.post("/v1/search/image", "{\"url\":\"" + url + "\"}");
                assertThat(r.status()).as(r.text()).isEqualTo(400);
                assertThat(r.json().get("error").asText())
                        .contains("searches http, https URLs, not s3a: ones", "--search.url-schemes");
            }
            Http.Reply embed = http.post("/v1/embed", "{\"url\":\"https://example.com/x.jpg\"}");
            assertThat(embed.status()).as(embed.text()).isEqualTo(404);
            assertThat(embed.json().get("error").asText()).contains("--embed-endpoint");
        }
        try (ShardServer server = serve(s3, "--search.url-schemes", "http,https,s3a", "--embed-endpoint")) {
            Http http = new Http(server.http().hostAndPort());
            List<String> errors = new ArrayList<>();
            for (String path : List.of("/v1/search/image", "/v1/embed")) {
                for (String url : List.of(existing, missing)) {
                    Http.Reply r = http.post(path, "{\"url\":\"" + url + "\"}");
                    assertThat(r.status()).as(r.text()).isEqualTo(422);
                    // Neither whether the object exists, nor its size, nor its first bytes.
                    errors.add(r.json().get("error").asText().replace(url, "URL"));
                }
            }
            assertThat(errors).containsOnly("could not read an image from URL");
        }
    }

    static String[] flags(S3TestServer s3) {
        List<String> args = new ArrayList<>(List.of(
                "--index",
                s3.uri("prod"),
                "--name",
                "photos",
                "--port",
                "0",
                "--host",
                "127.0.0.1",
                "--model-cache",
                "target/model-cache"));
        s3.flinkSettings().forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
        return args.toArray(new String[0]);
    }
}
