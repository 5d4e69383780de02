package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.server.search.SeededVectors;
import io.imgindex.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Python client of {@code clients/python} (standard library only) against a shard server: its own unittest
 * suite, run with the machine's {@code python3}, which the tests need (bin/test checks for it).
 */
class PythonClientITCase {

    static final int ROWS = 500;

    @TempDir
    Path dir;

    @Test
    void thePythonClientsTestsPassAgainstAServer() throws Exception {
        TestGenerations.write(
                new TestGenerations.Spec(
                        dir.toString(),
                        "photos",
                        1,
                        2,
                        ThumbnailDim.MODEL,
                        ThumbnailDim.DIM,
                        "id-",
                        SeededVectors.generate(ROWS, ThumbnailDim.DIM, 20, 5),
                        i -> Map.of("colour", i % 5 == 0 ? "red" : "blue"),
                        List.of()),
                new Configuration());
        Path client = Paths.get("..", "clients", "python").toAbsolutePath().normalize();
        assertThat(client.resolve("test_client.py")).exists();
        try (ShardServer server = RouterITCase.shardServer(dir, "0,1")) {
            Path log = dir.resolve("python.log");
            ProcessBuilder pb = new ProcessBuilder("python3", "-m", "unittest", "-v", "test_client")
                    .directory(client.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(log.toFile());
            Map<String, String> env = pb.environment();
            env.put("IMGINDEX_URL", "http://" + server.http().hostAndPort());
            env.put("IMGINDEX_INDEX_ROOT", dir.toString());
            env.put("IMGINDEX_NAME", "photos");
            env.put("IMGINDEX_ROWS", Integer.toString(ROWS));
            env.put("IMGINDEX_DIMENSION", Integer.toString(ThumbnailDim.DIM));
            env.put(
                    "IMGINDEX_IMAGE",
                    TestImages.sampleData().resolve("images/coffee.jpg").toString());
            env.put("PYTHONDONTWRITEBYTECODE", "1");
            Process p = pb.start();
            boolean ended = p.waitFor(2, TimeUnit.MINUTES);
            if (!ended) {
                p.destroyForcibly();
            }
            String out = Files.readString(log, StandardCharsets.UTF_8);
            assertThat(ended)
                    .as("the client's tests ended within 2 minutes: " + out)
                    .isTrue();
            assertThat(p.exitValue()).as(out).isZero();
            assertThat(out).contains("Ran 10 tests").contains("OK");
        }
    }
}
