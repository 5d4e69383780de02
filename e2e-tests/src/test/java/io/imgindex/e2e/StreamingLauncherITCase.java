package io.imgindex.e2e;

import static io.imgindex.e2e.LauncherITCase.JSON;
import static io.imgindex.e2e.LauncherITCase.awaitLine;
import static io.imgindex.e2e.LauncherITCase.get;
import static io.imgindex.e2e.LauncherITCase.imgindex;
import static io.imgindex.e2e.LauncherITCase.launcher;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.testing.RabbitMqBroker;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The streaming job as people run it: {@code bin/imgindex enroll} publishes the sample lists to the real broker,
 * {@code bin/imgindex index --mode streaming} runs until SIGTERM, stops with a savepoint and prints its path, and
 * {@code --from-savepoint} carries on from it; an index server started between the two runs switches to each new
 * commit without a restart.
 */
class StreamingLauncherITCase {

    static final Pattern SAVEPOINT = Pattern.compile("stopped with a savepoint at (\\S+)");

    @TempDir
    Path out;

    RabbitMqBroker broker;
    String queue;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void connect() throws Exception {
        broker = RabbitMqBroker.connect();
        queue = broker.newQueue("launcher");
    }

    @AfterEach
    void cleanUp() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        broker.delete(queue);
        broker.close();
    }

    Process stream(Path log, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "index",
                "--mode",
                "streaming",
                "--queue",
                queue,
                "--rabbitmq-uri",
                RabbitMqBroker.uri(),
                "--allow-file-root",
                "sample-data",
                "--model",
                "imgindex-thumb-v1",
                "--output",
                out.toString(),
                "--name",
                "live",
                "--checkpoint-interval",
                "1s"));
        args.addAll(List.of(more));
        Process p = launcher(args.toArray(new String[0]))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        processes.add(p);
        return p;
    }

    /** Waits for a progress line saying that {@code read} records are committed with nothing in flight. */
    static void awaitCommitted(Process p, Path log, int read) throws Exception {
        awaitLine(
                p,
                log,
                Pattern.compile("(generation \\d+ \\(checkpoint \\d+\\): read " + read
                        + " = indexed \\d+ \\+ duplicates \\d+( \\([^)]*\\))? \\+ failed \\d+ \\(skipped)"));
    }

    /** SIGTERM, as Ctrl-C or Kubernetes would send it; returns the savepoint the job printed. */
    static String terminate(Process p, Path log) throws Exception {
        p.destroy();
        assertThat(p.waitFor(2, TimeUnit.MINUTES)).as("stops after SIGTERM").isTrue();
        String printed = Files.readString(log);
        assertThat(p.exitValue()).as(printed).isZero();
        Matcher m = SAVEPOINT.matcher(printed);
        assertThat(m.find()).as(printed).isTrue();
        return m.group(1);
    }

    @Test
    void enrollStreamStopWithSavepointAndRestore() throws Exception {
        LauncherITCase.Run enrolled =
                imgindex("enroll", "--rabbitmq-uri", RabbitMqBroker.uri(), "--queue", queue, "sample-data/photos.csv");
        assertThat(enrolled.exit()).as(enrolled.stderr()).isZero();
        assertThat(enrolled.stdout())
                .contains("enrolled 41 records into queue '" + queue + "'")
                .contains("41 confirmed by the broker (skipped lines 3)");

        Path log1 = out.resolve("stream-1.log");
        int webUi;
        try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            webUi = free.getLocalPort();
        }
        Process first = stream(log1, "--web-ui", String.valueOf(webUi), "--progress-interval", "500ms");
        awaitCommitted(first, log1, 41);
        // While it runs: progress lines, and Flink's dashboard on loopback showing the running job.
        assertThat(Files.readString(log1))
                .contains("imgindex: Flink's web UI at http://127.0.0.1:" + webUi + "/")
                .containsPattern("progress: read \\d+ · fetched \\d+ · embedded \\d+");
        HttpClient ui = HttpClient.newHttpClient();
        var page = get(ui, "http://127.0.0.1:" + webUi + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("Apache Flink Web Dashboard");
        assertThat(get(ui, "http://127.0.0.1:" + webUi + "/jobs/overview").body())
                .contains("\"state\":\"RUNNING\"")
                .contains("imgindex");
        String savepoint = terminate(first, log1);
        assertThat(Files.readString(log1)).contains("resume with the same command and --from-savepoint " + savepoint);

        // An index server on the stream's index, following its commits.
        Path serveLog = out.resolve("serve.log");
        Process server = launcher(
                        "serve", "--index", out.toString(), "--name", "live", "--port", "0", "--watch-interval", "1s")
                .redirectErrorStream(true)
                .redirectOutput(serveLog.toFile())
                .start();
        processes.add(server);
        String base = awaitLine(server, serveLog, Pattern.compile("Listening on (http://\\S+)"));
        HttpClient client = HttpClient.newHttpClient();
        long before = awaitServing(client, base, 0);

        // Published while the job is down: they wait in the queue.
        LauncherITCase.Run more = imgindex(
                "enroll", "--rabbitmq-uri", RabbitMqBroker.uri(), "--queue", queue, "sample-data/faces/faces.csv");
        assertThat(more.exit()).as(more.stderr()).isZero();
        assertThat(more.stdout()).contains("16 confirmed by the broker");

        Path log2 = out.resolve("stream-2.log");
        Process second = stream(log2, "--from-savepoint", savepoint);
        awaitCommitted(second, log2, 57);
        assertThat(Files.readString(log2)).contains("restored from " + savepoint);

        // The server picks the new commits up by itself (the stream may commit them over several checkpoints, so
        // the first new generation it serves need not hold them all: wait for the item).
        long after = awaitServing(client, base, before + 1);
        assertThat(after).isGreaterThan(before);
        JsonNode face = awaitItem(client, base, "jesper-1");
        assertThat(face.get("id").asText()).isEqualTo("jesper-1");

        terminate(second, log2);
        server.destroy();
        assertThat(server.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(broker.ready(queue)).as("every message acknowledged").isZero();
    }

    @Test
    void aKilledStreamIsResumedFromItsLastCheckpoint() throws Exception {
        LauncherITCase.Run enrolled =
                imgindex("enroll", "--rabbitmq-uri", RabbitMqBroker.uri(), "--queue", queue, "sample-data/photos.csv");
        assertThat(enrolled.exit()).as(enrolled.stderr()).isZero();

        // SIGKILL of the whole local job (launcher, MiniCluster and all) once a checkpoint has committed.
        Path log1 = out.resolve("killed.log");
        Process first = stream(log1);
        awaitLine(first, log1, Pattern.compile("(generation \\d+ \\(checkpoint \\d+\\): read \\d+)"));
        first.destroyForcibly();
        assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(Files.readString(log1)).doesNotContain("savepoint at");

        LauncherITCase.Run more = imgindex(
                "enroll", "--rabbitmq-uri", RabbitMqBroker.uri(), "--queue", queue, "sample-data/faces/faces.csv");
        assertThat(more.exit()).as(more.stderr()).isZero();

        // The same command again: it restores from the killed run's checkpoint, and every record counts once.
        Path log2 = out.resolve("resumed.log");
        Process second = stream(log2);
        awaitCommitted(second, log2, 57);
        assertThat(Files.readString(log2))
                .contains("did not stop with a savepoint: restoring from its latest checkpoint")
                .containsPattern("restored from \\S+/chk-\\d+");
        terminate(second, log2);
        assertThat(broker.ready(queue)).as("every message acknowledged").isZero();

        // Stopped with a savepoint this time: the next start is fresh (it builds on the latest generation).
        Path log3 = out.resolve("fresh.log");
        Process third = stream(log3);
        awaitLine(third, log3, Pattern.compile("(streaming \\S+ queue)"));
        assertThat(Files.readString(log3)).doesNotContain("restoring from").doesNotContain("restored from");
        terminate(third, log3);
    }

    /** Waits until the server serves a generation of at least {@code atLeast}; returns it. */
    static JsonNode awaitItem(HttpClient client, String base, String id) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        String last = "";
        while (System.nanoTime() < deadline) {
            var r = get(client, base + "/v1/items/" + id);
            if (r.statusCode() == 200) {
                return JSON.readTree(r.body());
            }
            last = r.statusCode() + " " + r.body();
            Thread.sleep(300);
        }
        throw new AssertionError("the server did not serve item " + id + " within 2 minutes; last answer: " + last);
    }

    static long awaitServing(HttpClient client, String base, long atLeast) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            var r = get(client, base + "/v1/index");
            if (r.statusCode() == 200) {
                long g = JSON.readTree(r.body()).get("generation").asLong();
                if (g >= atLeast && g > 0) {
                    return g;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the server did not serve generation " + atLeast + " within 2 minutes");
    }
}
