package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.cli.Flags;
import io.imgindex.server.search.SeededVectors;
import io.imgindex.testing.S3TestServer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A shard server loading its generation from an in-process S3 server through S3A, with the job's s3.* keys. */
class S3ShardServerITCase {

    @Test
    void servesAGenerationFromS3() throws Exception {
        try (S3TestServer s3 = new S3TestServer("indexes")) {
            float[] vectors = SeededVectors.generate(500, ThumbnailDim.DIM, 10, 3);
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
            Flags.Parsed p = Flags.parse(flags(s3), ServeOptions.ALL);
            try (ShardServer server = ShardServer.start(p.options(), p.flinkConf(), null)) {
                Http http = new Http(server.http().hostAndPort());
                Http.await(
                        "the generation from S3",
                        Duration.ofSeconds(60),
                        () -> http.get("/readyz").status() == 200);
                Http.Reply index = http.get("/v1/index");
                assertThat(index.json().get("generation").asLong()).isEqualTo(4);
                assertThat(index.json().get("vectors").asInt()).isEqualTo(500);
                float[] q = java.util.Arrays.copyOfRange(vectors, 7 * ThumbnailDim.DIM, 8 * ThumbnailDim.DIM);
                Http.Reply r = http.post("/v1/search", "{\"vector\":" + Http.array(q) + ",\"k\":1,\"mode\":\"exact\"}");
                assertThat(r.json().get("results").get(0).get("id").asText()).isEqualTo("id-7");
            }
        }
    }

    static String[] flags(S3TestServer s3) {
        java.util.List<String> args = new java.util.ArrayList<>(List.of(
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
