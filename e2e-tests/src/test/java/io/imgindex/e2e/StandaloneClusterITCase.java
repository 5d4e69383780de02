package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.Manifest;
import io.imgindex.testing.RabbitMqBroker;
import io.imgindex.testing.TestHttpServer;
import io.imgindex.testing.TestImages;
import java.awt.Color;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The stream job on a real standalone Flink session cluster: a JobManager and two TaskManagers, each its own JVM,
 * started from Flink 1.20's jars (the distribution's {@code lib/}: Flink, logging, TensorFlow Java, as the
 * image's). The shaded job jar is submitted with Flink's own command line ({@code flink run -d}), so it is loaded
 * by the cluster's user-code class loader exactly as a cluster receives it. In the middle of the stream one
 * TaskManager is killed (SIGKILL); the job recovers on the other from its last checkpoint, and every message ends
 * in the index exactly once. MiniCluster hides what this catches: class loading, the shaded jar's content,
 * serialisation between processes, a lost process.
 */
class StandaloneClusterITCase {

    static final ObjectMapper JSON = new ObjectMapper();

    /** The jobs module's build output: the shaded job jar and the cluster's class path. */
    static final Path JOBS_TARGET = LauncherITCase.ROOT.resolve("jobs/target");

    /** Logs, configuration and output stay in target/ after the run, for a look when it fails. */
    Path work;

    final List<Process> processes = new ArrayList<>();
    RabbitMqBroker broker;
    TestHttpServer images;
    String queue;
    int restPort;
    Path conf;

    @BeforeEach
    void start() throws Exception {
        work = Paths.get("target/standalone-cluster").toAbsolutePath();
        if (Files.exists(work)) {
            try (var files = Files.walk(work)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        Files.createDirectories(work);
        broker = RabbitMqBroker.connect();
        queue = broker.newQueue("cluster");
        images = new TestHttpServer();
        for (int i = 0; i < 80; i++) {
            Color c = new Color((i * 29) % 256, (i * 83) % 256, (i * 47) % 256);
            images.bytes(
                    "/gen/" + i + ".png",
                    TestImages.twoColours(80 + i, 60, c, new Color(c.getBlue(), 255 - c.getGreen(), i * 3), "png"),
                    "image/png");
        }
        images.status("/missing.jpg", 404);
    }

    @AfterEach
    void stop() throws Exception {
        for (Process p : processes) {
            p.destroyForcibly();
        }
        for (Process p : processes) {
            p.waitFor(20, TimeUnit.SECONDS);
        }
        images.close();
        broker.delete(queue);
        broker.close();
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The cluster's class path: what the jobs module declares as provided by the cluster (its lib/). */
    static String clusterClasspath() throws IOException {
        Path cp = JOBS_TARGET.resolve("launcher/provided.classpath");
        assertThat(cp)
                .as("the provided class path (written by the jobs module's package phase)")
                .exists();
        return Files.readString(cp).strip();
    }

    static Path jobJar() throws IOException {
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(JOBS_TARGET, "imgindex-jobs-*-job.jar")) {
            for (Path p : jars) {
                return p.toAbsolutePath();
            }
        }
        throw new AssertionError("no shaded job jar in " + JOBS_TARGET + " (built by the jobs module's package phase)");
    }

    Process java(String name, Path log, String mainClass, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx768m",
                "-XX:+IgnoreUnrecognizedVMOptions",
                "--add-opens=java.base/java.lang=ALL-UNNAMED",
                "--add-opens=java.base/java.net=ALL-UNNAMED",
                "--add-opens=java.base/java.io=ALL-UNNAMED",
                "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
                "--add-opens=java.base/java.text=ALL-UNNAMED",
                "--add-opens=java.base/java.time=ALL-UNNAMED",
                "--add-opens=java.base/java.util=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
                "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED",
                "-Dlog4j2.configurationFile=" + conf.resolve("log4j2.properties"),
                "-Dlog.file=" + log,
                "-cp",
                clusterClasspath(),
                mainClass));
        command.addAll(List.of(args));
        ProcessBuilder b = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .directory(work.toFile());
        b.environment().put("FLINK_CONF_DIR", conf.toString());
        b.environment()
                .put(
                        "IMGINDEX_MODEL_CACHE",
                        Paths.get("target/model-cache").toAbsolutePath().toString());
        b.environment().put("TF_CPP_MIN_LOG_LEVEL", "2");
        Process p = b.start();
        processes.add(p);
        return p;
    }

    void writeConf() throws IOException {
        conf = Files.createDirectories(work.resolve("conf"));
        restPort = freePort();
        int rpcPort = freePort();
        String yaml = String.join(
                "\n",
                "jobmanager.rpc.address: 127.0.0.1",
                "jobmanager.rpc.port: " + rpcPort,
                "jobmanager.bind-host: 127.0.0.1",
                "rest.address: 127.0.0.1",
                "rest.bind-address: 127.0.0.1",
                "rest.port: " + restPort,
                "taskmanager.host: 127.0.0.1",
                "taskmanager.bind-host: 127.0.0.1",
                "taskmanager.numberOfTaskSlots: 2",
                // Both TaskManagers run part of the job, so killing one hits it.
                "cluster.evenly-spread-out-slots: true",
                "jobmanager.memory.process.size: 1024m",
                // What Flink's start scripts would compute and pass: this test starts the JVMs itself.
                "taskmanager.cpu.cores: 2",
                "taskmanager.memory.task.heap.size: 384m",
                "taskmanager.memory.task.off-heap.size: 64m",
                "taskmanager.memory.network.min: 64m",
                "taskmanager.memory.network.max: 64m",
                "taskmanager.memory.managed.size: 64m",
                "taskmanager.memory.framework.heap.size: 128m",
                "taskmanager.memory.framework.off-heap.size: 128m",
                "taskmanager.memory.jvm-metaspace.size: 256m",
                "taskmanager.memory.jvm-overhead.min: 192m",
                "taskmanager.memory.jvm-overhead.max: 192m",
                // A killed TaskManager is noticed in seconds, not the default 50.
                "heartbeat.interval: 1000",
                "heartbeat.timeout: 6000",
                "restart-strategy.type: fixed-delay",
                "restart-strategy.fixed-delay.attempts: 30",
                "restart-strategy.fixed-delay.delay: 2 s",
                "io.tmp.dirs: " + Files.createDirectories(work.resolve("tmp")),
                "");
        Files.writeString(conf.resolve("config.yaml"), yaml);
        Files.writeString(
                conf.resolve("log4j2.properties"),
                String.join(
                        "\n",
                        "rootLogger.level = INFO",
                        "rootLogger.appenderRef.console.ref = console",
                        "appender.console.type = Console",
                        "appender.console.name = console",
                        "appender.console.layout.type = PatternLayout",
                        "appender.console.layout.pattern = %d{HH:mm:ss,SSS} %-5p %-40c{1} - %m%n",
                        "logger.pekko.name = org.apache.pekko",
                        "logger.pekko.level = WARN",
                        "logger.netty.name = org.apache.flink.shaded.netty4",
                        "logger.netty.level = WARN",
                        ""));
    }

    JsonNode rest(String path) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(
                        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + restPort + path))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
        return JSON.readTree(r.body());
    }

    void awaitTaskManagers(int n) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (System.nanoTime() < deadline) {
            try {
                if (rest("/taskmanagers").path("taskmanagers").size() == n) {
                    return;
                }
            } catch (IOException e) {
                // The JobManager's REST endpoint is not up yet.
            }
            Thread.sleep(300);
        }
        throw new AssertionError("the cluster did not have " + n + " task managers within 2 minutes: "
                + Files.readString(work.resolve("jobmanager.log")));
    }

    int published;

    void publish(int n) throws Exception {
        for (int k = 0; k < n; k++, published++) {
            int i = published;
            String body = i % 9 == 4
                    ? "{\"url\": \"" + images.base() + "/missing.jpg?" + i + "\"}"
                    : "{\"id\": \"g" + i + "\", \"url\": \"" + images.base() + "/gen/" + i + ".png\"}";
            broker.publish(queue, "m-" + i, body);
        }
    }

    Manifest awaitCommitted(Path out, long records) throws Exception {
        GenerationReader reader = GenerationReader.open(out.toString(), "cluster", new Configuration());
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        Manifest m = null;
        while (System.nanoTime() < deadline) {
            var latest = reader.latest();
            if (latest.isPresent()) {
                m = reader.manifest(latest.get().generation());
                if (m.counts().read() >= records && m.counts().inFlight() == 0) {
                    return m;
                }
            }
            Thread.sleep(300);
        }
        throw new AssertionError("not committed in time; latest: "
                + (m == null ? "none" : m.counts().summary()) + "\n"
                + Files.readString(work.resolve("jobmanager.log")));
    }

    @Test
    void killingATaskManagerMidStreamLosesNothingAndDuplicatesNothing() throws Exception {
        writeConf();
        java(
                "jobmanager",
                work.resolve("jobmanager.log"),
                "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint",
                "--configDir",
                conf.toString());
        Process tm1 = java(
                "taskmanager-1",
                work.resolve("taskmanager-1.log"),
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "--configDir",
                conf.toString());
        java(
                "taskmanager-2",
                work.resolve("taskmanager-2.log"),
                "org.apache.flink.runtime.taskexecutor.TaskManagerRunner",
                "--configDir",
                conf.toString());
        awaitTaskManagers(2);

        Path out = work.resolve("out");
        Process submit = java(
                "flink-run",
                work.resolve("flink-run.log"),
                "org.apache.flink.client.cli.CliFrontend",
                "run",
                "-d",
                jobJar().toString(),
                "--mode",
                "streaming",
                "--rabbitmq-uri",
                RabbitMqBroker.uri(),
                "--queue",
                queue,
                "--model",
                "imgindex-thumb-v1",
                "--output",
                out.toString(),
                "--name",
                "cluster",
                "--shards",
                "2",
                "--parallelism",
                "2",
                "--allow-network",
                "127.0.0.1/32",
                "--checkpoint-interval",
                "1s",
                "--checkpoint-dir",
                work.resolve("checkpoints").toUri().toString(),
                "--fetch.max-attempts",
                "1");
        assertThat(submit.waitFor(3, TimeUnit.MINUTES))
                .as("flink run -d returns")
                .isTrue();
        String submitted = Files.readString(work.resolve("flink-run.log"));
        assertThat(submit.exitValue()).as(submitted).isZero();
        assertThat(submitted).contains("submitted stream job");

        publish(30);
        awaitCommitted(out, 10);
        tm1.destroyForcibly(); // SIGKILL, in the middle of the stream
        assertThat(tm1.waitFor(30, TimeUnit.SECONDS)).isTrue();
        publish(30);
        Manifest m = awaitCommitted(out, 60);

        JsonNode jobs = rest("/jobs/overview").path("jobs");
        assertThat(jobs).hasSize(1);
        String jobId = jobs.get(0).path("jid").asText();
        JsonNode exceptions = rest("/jobs/" + jobId + "/exceptions");
        assertThat(exceptions.path("exceptionHistory").path("entries").size())
                .as("the job failed over when the TaskManager went: " + exceptions)
                .isPositive();
        assertThat(rest("/jobs/" + jobId).path("state").asText()).isEqualTo("RUNNING");

        GenerationReader reader = GenerationReader.open(out.toString(), "cluster", new Configuration());
        reader.verify(m);
        List<String> sources = new ArrayList<>();
        reader.readIndex(m, r -> sources.add(r.source()));
        reader.readDuplicates(m, r -> sources.add(r.source()));
        reader.readFailures(m, r -> sources.add(r.source()));
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 60; i++) {
            expected.add("amqp:" + queue + "#m-" + i);
        }
        assertThat(sources)
                .as("every message once")
                .doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(m.counts().read()).isEqualTo(60);
        assertThat(m.counts().failedByReason()).containsEntry("HTTP_404", 7L);
        assertThat(broker.ready(queue)).isZero();
    }
}
