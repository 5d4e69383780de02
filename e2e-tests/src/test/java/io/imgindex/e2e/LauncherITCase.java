package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/imgindex} as people run it, in its own process: the README's quick start on {@code sample-data/},
 * serving that index over HTTP as the README shows, and the exit codes of bad command lines. It runs the build output
 * of the jobs and index-server modules, which this module depends on, so the build packages them first.
 */
class LauncherITCase {

    static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

    @TempDir
    Path out;

    record Run(int exit, String stdout, String stderr) {}

    static ProcessBuilder launcher(String... args) {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/imgindex").toString());
        command.addAll(List.of(args));
        ProcessBuilder builder = new ProcessBuilder(command).directory(ROOT.toFile());
        // The build running this test is the build to use: never start another Maven inside it.
        builder.environment().put("IMGINDEX_BUILD", "never");
        // Models are imported into this build's folder, not the user's cache: CI starts from nothing.
        builder.environment()
                .put(
                        "IMGINDEX_MODEL_CACHE",
                        Paths.get("target/model-cache").toAbsolutePath().toString());
        return builder;
    }

    static Run imgindex(String... args) throws IOException, InterruptedException {
        Path stdout = Files.createTempFile("imgindex", ".out");
        Path stderr = Files.createTempFile("imgindex", ".err");
        Process p = launcher(args)
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bin/imgindex " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Run(
                p.exitValue(),
                Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    /** The quick start's first command: the sample photos into {@code out}, index 'sample'; more flags after. */
    static Run indexSample(Path out, String... more) throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of(
                "index",
                "--input",
                "sample-data/photos.csv",
                "--allow-file-root",
                "sample-data",
                "--output",
                out.toString(),
                "--name",
                "sample"));
        args.addAll(List.of(more));
        return imgindex(args.toArray(new String[0]));
    }

    @Test
    void indexesTheSampleDataAndAnswersAQuery() throws Exception {
        Run index = indexSample(out);

        assertThat(index.exit()).as(index.stderr()).isZero();
        assertThat(index.stdout())
                .contains("committed generation 1 of index 'sample'")
                .contains("read 41 = indexed 39 + duplicates 1 (exact 1) + failed 1 (skipped lines 3)")
                .contains("failed by reason: NOT_FOUND 1");

        Run inspect = imgindex("inspect", "--index", out.toString(), "--name", "sample", "--similar", "coffee");
        assertThat(inspect.exit()).as(inspect.stderr()).isZero();
        assertThat(inspect.stdout())
                .contains("verified 15 files")
                .contains("coffee-copy              duplicate of coffee")
                .contains("missing                  NOT_FOUND")
                .contains("nearest neighbours of 'coffee'")
                .containsPattern("1\\.0000  coffee ");
    }

    @Test
    void servesTheSampleIndexOverHttp() throws Exception {
        Run index = indexSample(out);
        assertThat(index.exit()).as(index.stderr()).isZero();

        Path log = out.resolve("serve.log");
        Process server = launcher("serve", "--index", out.toString(), "--name", "sample", "--port", "0")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            String base = awaitLine(server, log, Pattern.compile("Listening on (http://\\S+)"));
            HttpClient client = HttpClient.newHttpClient();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
            while (get(client, base + "/readyz").statusCode() != 200) {
                assertThat(System.nanoTime())
                        .as("ready within 2 minutes: " + Files.readString(log))
                        .isLessThan(deadline);
                Thread.sleep(200);
            }

            JsonNode info = JSON.readTree(get(client, base + "/v1/index").body());
            assertThat(info.get("generation").asInt()).isEqualTo(1);
            assertThat(info.get("vectors").asInt()).isEqualTo(39);
            assertThat(info.get("model").get("id").asText()).isEqualTo("mobilenet-v2-140");

            // The README's query: a photo's bytes, embedded by the server with the index's model.
            HttpResponse<String> byImage = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/search/image?k=3&include_duplicates=true"))
                            .header("Content-Type", "image/jpeg")
                            .POST(HttpRequest.BodyPublishers.ofFile(ROOT.resolve("sample-data/images/coffee.jpg")))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(byImage.statusCode()).as(byImage.body()).isEqualTo(200);
            JsonNode first = JSON.readTree(byImage.body()).get("results").get(0);
            assertThat(first.get("id").asText()).isEqualTo("coffee");
            assertThat(first.get("score").asDouble()).isGreaterThan(0.999);
            assertThat(first.get("duplicates").get(0).get("id").asText()).isEqualTo("coffee-copy");

            // The job stored a thumbnail of every photo; the server serves it, whatever the photo's URL.
            HttpResponse<byte[]> thumbnail = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/items/coffee/thumbnail"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(thumbnail.statusCode()).isEqualTo(200);
            assertThat(thumbnail.headers().firstValue("content-type")).hasValue("image/jpeg");
            BufferedImage small = ImageIO.read(new ByteArrayInputStream(thumbnail.body()));
            assertThat(Math.max(small.getWidth(), small.getHeight())).isEqualTo(160);
            // A duplicate's too.
            HttpResponse<byte[]> copy = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/items/coffee-copy/thumbnail"))
                            .build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            assertThat(copy.statusCode()).isEqualTo(200);
            assertThat(copy.body()).isEqualTo(thumbnail.body());

            JsonNode similar = JSON.readTree(
                    get(client, base + "/v1/items/coffee/similar?k=3&filter=%7B%22license%22:%22CC0-1.0%22%7D")
                            .body());
            assertThat(similar.get("results")).hasSize(3);
            similar.get("results").forEach(r -> {
                assertThat(r.get("id").asText()).isNotEqualTo("coffee");
                assertThat(r.get("metadata").get("license").asText()).isEqualTo("CC0-1.0");
            });

            HttpResponse<String> wrong = client.send(
                    HttpRequest.newBuilder(URI.create(base + "/v1/search"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"vector\":[1,2,3]}"))
                            .build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(wrong.statusCode()).isEqualTo(400);
            assertThat(JSON.readTree(wrong.body()).get("error").asText()).contains("1792");
        } finally {
            server.destroy(); // SIGTERM: the server closes and exits
            assertThat(server.waitFor(30, TimeUnit.SECONDS))
                    .as("stops on SIGTERM")
                    .isTrue();
        }
        assertThat(Files.readString(log)).contains("Loaded generation 1 of sample: 39 vectors");
    }

    static final ObjectMapper JSON = new ObjectMapper();

    static HttpResponse<String> get(HttpClient client, String url) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The first group of the first line of the process's log that matches, waiting up to two minutes. */
    static String awaitLine(Process p, Path log, Pattern pattern) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            Matcher m = pattern.matcher(Files.readString(log));
            if (m.find()) {
                return m.group(1);
            }
            if (!p.isAlive()) {
                throw new AssertionError("the server exited with " + p.exitValue() + ": " + Files.readString(log));
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no line matching " + pattern + " in 2 minutes: " + Files.readString(log));
    }

    @Test
    void indexesAPlainListWithDerivedIds() throws Exception {
        Run index = imgindex(
                "index",
                "--input",
                "sample-data/urls.txt",
                "--allow-file-root",
                "sample-data",
                "--output",
                out.toString(),
                "--name",
                "plain",
                "--shards",
                "2",
                "--progress-interval",
                "500ms");

        assertThat(index.exit()).as(index.stderr()).isZero();
        assertThat(index.stdout())
                .contains("read 39 = indexed 39 + duplicates 0 + failed 0 (skipped lines 2)")
                .contains("2 shards")
                .containsPattern("progress: read \\d+ · fetched \\d+ · embedded \\d+ · indexed \\d+ · duplicates \\d+"
                        + " · failed \\d+");
        // The quick start's run prints them every 10 s; --quiet none.
        Run quiet = imgindex(
                "index",
                "--input",
                "sample-data/urls.txt",
                "--allow-file-root",
                "sample-data",
                "--output",
                out.toString(),
                "--name",
                "quiet",
                "--progress-interval",
                "500ms",
                "--quiet");
        assertThat(quiet.exit()).as(quiet.stderr()).isZero();
        assertThat(quiet.stdout()).doesNotContain("progress:").contains("read 39 = indexed 39");
    }

    @Test
    void refusesBadCommandLinesWithOneLine() throws Exception {
        Run unknown = imgindex("index", "--input", "sample-data/urls.txt", "--shard", "3");
        Run malformed = imgindex("index", "--input", "sample-data/urls.txt", "--parallelism", "many");

        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.stderr()).isEqualTo("imgindex index: unknown flag --shard (see --help)\n");
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.stderr().strip())
                .isEqualTo("imgindex index: bad value for --parallelism: 'many' (expected a whole number)");
        assertThat(unknown.stdout()).isEmpty();
    }
}
