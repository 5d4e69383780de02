package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.cli.LocalStreamRun;
import io.imgindex.flags.Flags;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.item.Item;
import io.imgindex.testing.RabbitMqBroker;
import io.imgindex.testing.TestHttpServer;
import io.imgindex.testing.TestImages;
import java.awt.Color;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.common.functions.RichMapFunction;
import org.apache.flink.api.common.state.CheckpointListener;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stream job against the real RabbitMQ broker, on an embedded cluster as {@code bin/imgindex} runs it, with
 * messages published by the plain AMQP client. Exactly once: N messages, a stop with a savepoint in the middle,
 * M more while it is down, a restore: the latest generation holds N + M distinct rows over the index, duplicates
 * and failures tables, one per message, nothing lost, nothing twice. The same after a task failure injected in
 * the middle and recovered from a checkpoint. Poison messages (no correlation id, a body that does not parse, not
 * UTF-8, a bad URL) are recorded as failures and acknowledged.
 */
class StreamingIndexITCase {

    static TestHttpServer server;
    static RabbitMqBroker broker;
    static final ExecutorService jobs = Executors.newCachedThreadPool();

    @TempDir
    Path work;

    String queue;

    @BeforeAll
    static void start() {
        broker = RabbitMqBroker.connect();
        server = new TestHttpServer();
        for (String name : List.of("coffee.jpg", "castle.jpg", "cat.png", "rocket.webp", "beach.jpg")) {
            server.bytes("/img/" + name, TestImages.sample(name), "image/jpeg");
        }
        server.bytes("/copy/coffee.jpg", TestImages.sample("coffee.jpg"), "image/jpeg");
        server.status("/missing.jpg", 404);
        for (int i = 0; i < 120; i++) {
            // Distinct images, so each message has its own outcome.
            Color c = new Color((i * 37) % 256, (i * 91) % 256, (i * 53) % 256);
            Color right = new Color(255 - c.getRed(), c.getBlue(), i);
            server.bytes("/gen/" + i + ".png", TestImages.twoColours(64 + i, 48, c, right, "png"), "image/png");
            // The same picture as a JPEG: other bytes, nearly the same embedding.
            server.bytes("/near/" + i + ".jpg", TestImages.twoColours(64 + i, 48, c, right, "jpg"), "image/jpeg");
        }
    }

    @AfterAll
    static void stop() throws Exception {
        server.close();
        broker.close();
        jobs.shutdownNow();
    }

    @AfterEach
    void deleteQueue() {
        if (queue != null) {
            broker.delete(queue);
        }
    }

    IndexJobConfig config(Path out, String... more) {
        return configFor(out, "stream", more);
    }

    IndexJobConfig configFor(Path out, String name, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--mode",
                "streaming",
                "--rabbitmq-uri",
                RabbitMqBroker.uri(),
                "--queue",
                queue,
                "--model",
                "imgindex-thumb-v1",
                "--model-cache",
                "target/model-cache",
                "--output",
                out.toString(),
                "--name",
                name,
                "--shards",
                "2",
                "--parallelism",
                "2",
                "--allow-network",
                "127.0.0.1/32",
                "--checkpoint-interval",
                "500ms",
                "--embed.batch-size",
                "4",
                "--fetch.max-attempts",
                "1"));
        args.addAll(List.of(more));
        return IndexJobConfig.from(
                Flags.parse(args.toArray(new String[0]), IndexOptions.ALL).options());
    }

    /** A running stream job: stop it with {@link #stop()}. */
    final class Running {
        final CompletableFuture<Void> stop = new CompletableFuture<>();
        final Future<IndexJob.Result> result;

        Running(IndexJobConfig config, UnaryOperator<DataStream<Item>> hook) {
            result = jobs.submit(() -> LocalStreamRun.run(config, Map.of(), stop, line -> {}, hook));
        }

        IndexJob.Result stop() throws Exception {
            stop.complete(null);
            return result.get(2, TimeUnit.MINUTES);
        }
    }

    /** The messages published so far: correlation id to the outcome expected. */
    final Map<String, String> expected = new HashMap<>();

    int published;

    /** Publishes {@code n} messages: mostly distinct images, with copies, failures and poison among them. */
    void publish(int n) throws Exception {
        for (int k = 0; k < n; k++, published++) {
            int i = published;
            String cid = "m-" + i;
            String base = server.base();
            switch (i % 10) {
                case 3 -> {
                    broker.publish(queue, cid, "{\"url\": \"" + base + "/missing.jpg?" + i + "\"}");
                    expected.put(cid, "HTTP_404");
                }
                case 5 -> {
                    broker.publish(
                            queue,
                            cid,
                            "{\"url\": \"" + base + "/copy/coffee.jpg?" + i + "\", \"id\": \"c" + i + "\"}");
                    expected.put(cid, "index|duplicate"); // the same bytes: whichever arrives first is kept
                }
                case 7 -> {
                    // Poison of four kinds, in turn.
                    switch ((i / 10) % 4) {
                        case 0 -> {
                            broker.publish(queue, null, "{\"url\": \"" + base + "/img/cat.png?" + i + "\"}");
                            expected.put(
                                    "sha256:" + sha256("{\"url\": \"" + base + "/img/cat.png?" + i + "\"}"),
                                    "NO_CORRELATION_ID");
                        }
                        case 1 -> {
                            broker.publish(queue, cid, "{this is not json");
                            expected.put(cid, "BAD_RECORD");
                        }
                        case 2 -> {
                            broker.publish(queue, cid, new byte[] {(byte) 0xff, (byte) 0xfe, 0x41});
                            expected.put(cid, "BAD_RECORD");
                        }
                        default -> {
                            broker.publish(queue, cid, "ftp://example.org/" + i + ".jpg");
                            expected.put(cid, "BAD_URL");
                        }
                    }
                }
                case 9 -> {
                    broker.publish(queue, cid, base + "/gen/" + i + ".png"); // a bare URL
                    expected.put(cid, "index|duplicate");
                }
                default -> {
                    broker.publish(
                            queue,
                            cid,
                            "{\"id\": \"g" + i + "\", \"url\": \"" + base + "/gen/" + i + ".png\", \"batch\": " + i / 10
                                    + "}");
                    expected.put(cid, "index|duplicate");
                }
            }
        }
    }

    static String sha256(String s) {
        return io.imgindex.format.Sha256.hex(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Waits until the latest generation has every published message decided. */
    static Manifest awaitCommitted(Path out, long records) throws Exception {
        return awaitCommitted(out, "stream", records);
    }

    static Manifest awaitCommitted(Path out, String name, long records) throws Exception {
        GenerationReader reader = GenerationReader.open(out.toString(), name, new Configuration());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Manifest m = null;
        while (System.nanoTime() < deadline) {
            var latest = reader.latest();
            if (latest.isPresent()) {
                m = reader.manifest(latest.get().generation());
                if (m.counts().read() == records && m.counts().inFlight() == 0) {
                    return m;
                }
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not all " + records + " messages committed in time; latest: "
                + (m == null ? "none" : m.counts().summary()));
    }

    /** Reads the generation back and checks that every message is in it once, with the expected outcome. */
    void assertExactlyOnce(Path out, Manifest m) throws Exception {
        GenerationReader reader = GenerationReader.open(out.toString(), "stream", new Configuration());
        reader.verify(m);
        List<String> sources = new ArrayList<>();
        Map<String, String> outcome = new HashMap<>();
        reader.readIndex(m, (IndexRow r) -> {
            sources.add(r.source());
            outcome.put(r.source(), "index");
        });
        reader.readDuplicates(m, (DuplicateRow r) -> {
            sources.add(r.source());
            outcome.put(r.source(), "duplicate");
        });
        reader.readFailures(m, (FailureRow r) -> {
            sources.add(r.source());
            outcome.put(r.source(), r.reason());
        });
        assertThat(sources).as("one row per message").doesNotHaveDuplicates().hasSize(expected.size());
        assertThat(m.counts().balanced()).isTrue();
        assertThat(m.counts().read()).isEqualTo(expected.size());
        for (Map.Entry<String, String> e : expected.entrySet()) {
            String got = outcome.get("amqp:" + queue + "#" + e.getKey());
            assertThat(got).as("outcome of message " + e.getKey()).isNotNull();
            assertThat(e.getValue().split("\\|"))
                    .as("outcome of message " + e.getKey())
                    .contains(got);
        }
    }

    @Test
    void stopWithSavepointPublishMoreRestoreGivesEveryMessageOnce() throws Exception {
        queue = broker.newQueue("it-savepoint");
        Path out = work.resolve("out");
        Running first = new Running(config(out), UnaryOperator.identity());
        publish(20);
        awaitCommitted(out, 20);
        publish(20);
        // At once: some of these are through, some in flight, some still in the queue: the stop falls in the middle.
        IndexJob.Result stopped = first.stop();
        assertThat(stopped.savepoint()).as("the stop wrote a savepoint").isNotNull();
        assertThat(Path.of(java.net.URI.create(stopped.savepoint()))).exists();

        publish(35); // while the job is down: they wait in the queue
        assertThat(broker.ready(queue)).isGreaterThanOrEqualTo(35);

        Running second = new Running(config(out, "--from-savepoint", stopped.savepoint()), UnaryOperator.identity());
        Manifest m = awaitCommitted(out, 75);
        IndexJob.Result end = second.stop();
        assertThat(end.savepoint()).isNotNull();

        assertExactlyOnce(out, m);
        assertThat(m.run().mode()).isEqualTo("STREAMING");
        assertThat(m.files()).allSatisfy(f -> assertThat(f.shared()).isTrue());
        // Both runs' files are listed: the restored run carries on from what the first committed.
        assertThat(m.files().stream()
                        .map(f -> f.segment() != null
                                ? f.segment().replaceAll("-s\\d+-w\\d+-.*$", "")
                                : f.path().split("/")[2])
                        .distinct())
                .hasSize(2);
        assertThat(m.counts().failedByReason()).containsKeys("NO_CORRELATION_ID", "BAD_RECORD", "BAD_URL", "HTTP_404");
        assertThat(broker.ready(queue)).as("every message acknowledged").isZero();
        // Every commit is a generation of its own; the earlier ones stay complete and readable.
        GenerationReader reader = GenerationReader.open(out.toString(), "stream", new Configuration());
        assertThat(reader.generations().size()).isGreaterThan(1);
        for (long g : reader.generations()) {
            Manifest earlier = reader.manifest(g);
            assertThat(earlier.counts().balanced()).isTrue();
            assertThat(earlier.counts().read()).isLessThanOrEqualTo(75);
        }
    }

    /** Throws once, on the first attempt, at the first record after a checkpoint completed and {@code after} records. */
    static final class FailOnce extends RichMapFunction<Item, Item> implements CheckpointListener {
        static final AtomicBoolean failed = new AtomicBoolean();
        private final int after;
        private transient int seen;
        private transient boolean checkpointed;

        FailOnce(int after) {
            this.after = after;
        }

        @Override
        public void open(OpenContext context) {
            seen = 0;
        }

        @Override
        public Item map(Item item) {
            seen++;
            if (checkpointed
                    && seen > after
                    && getRuntimeContext().getTaskInfo().getAttemptNumber() == 0
                    && failed.compareAndSet(false, true)) {
                throw new IllegalStateException("injected failure after " + seen + " records");
            }
            return item;
        }

        @Override
        public void notifyCheckpointComplete(long checkpointId) {
            checkpointed = true;
        }
    }

    @Test
    void aTaskFailureRecoveredFromACheckpointGivesEveryMessageOnce() throws Exception {
        queue = broker.newQueue("it-failover");
        Path out = work.resolve("out");
        FailOnce.failed.set(false);
        Running job = new Running(
                config(out),
                items -> items.map(new FailOnce(15)).name("inject a failure").setParallelism(1));
        publish(20);
        awaitCommitted(out, 20); // a checkpoint has completed with these
        publish(30); // the failure comes among these
        Manifest m = awaitCommitted(out, 50);
        job.stop();
        assertThat(FailOnce.failed).as("the failure was injected").isTrue();
        assertExactlyOnce(out, m);
        // Each checkpoint's segments carry their rows' thumbnails, as a batch run's do.
        assertThat(m.segments()).isNotEmpty().allSatisfy(seg -> assertThat(
                        m.filesOf(seg).get(ManifestFile.THUMBNAILS))
                .as("thumbnails of segment " + seg.id())
                .isNotNull()
                .extracting(ManifestFile::rows)
                .isEqualTo(seg.rows()));

        // What the failed attempt had written but not committed is gone from the run's folder.
        Set<String> listed = new HashSet<>();
        for (ManifestFile f : m.files()) {
            listed.add(f.path());
        }
        Path runDir = out.resolve("stream").resolve(IndexLayout.STREAMS);
        List<String> unlisted = new ArrayList<>();
        try (Stream<Path> files = Files.walk(runDir)) {
            files.filter(Files::isRegularFile).forEach(p -> {
                String rel =
                        "../" + out.resolve("stream").relativize(p).toString().replace('\\', '/');
                if (!listed.contains(rel)) {
                    unlisted.add(rel);
                }
            });
        }
        assertThat(unlisted).as("files no commit lists").isEmpty();
    }

    /** The URLs of every row a generation accounts for. */
    /** An indexed row of the backfill whose image is one of the generated ones (/gen/N.png). */
    static IndexRow baseRowOfAGeneratedImage(Path out, Manifest m) throws Exception {
        List<IndexRow> rows = new ArrayList<>();
        GenerationReader.open(out.toString(), "stream-v2", new Configuration()).readIndex(m, r -> {
            if (r.url().contains("/gen/")) {
                rows.add(r);
            }
        });
        assertThat(rows).as("generated images indexed in the base").isNotEmpty();
        return rows.get(0);
    }

    static List<String> urls(Path out, String name, Manifest m) throws Exception {
        GenerationReader reader = GenerationReader.open(out.toString(), name, new Configuration());
        List<String> urls = new ArrayList<>();
        reader.readIndex(m, r -> urls.add(r.url()));
        reader.readDuplicates(m, r -> urls.add(r.url()));
        reader.readFailures(m, r -> urls.add(r.url()));
        return urls;
    }

    /**
     * Reprocessing by backfill: everything the stream ingested is indexed again by a batch run into a new index
     * (here with another shard count); then a fresh stream on the new index builds on the backfill.
     */
    @Test
    void repeatedCorrelationIdsAndBodiesAreRecordedNotDropped() throws Exception {
        queue = broker.newQueue("it-repeats");
        Path out = work.resolve("repeats");
        Running stream = new Running(config(out), UnaryOperator.identity());
        String base = server.base();
        // Two messages that reuse one correlation id.
        broker.publish(queue, "same", "{\"id\": \"r1\", \"url\": \"" + base + "/img/coffee.jpg\"}");
        broker.publish(queue, "same", "{\"id\": \"r2\", \"url\": \"" + base + "/img/castle.jpg\"}");
        // Two messages without a correlation id with one body, told apart by their message ids.
        String body = "{\"url\": \"" + base + "/img/cat.png\"}";
        broker.publishWithMessageId(queue, "x-1", body);
        broker.publishWithMessageId(queue, "x-2", body);
        // Two with one body and no property at all: told from a redelivery by the broker's redelivery mark.
        String bare = "{\"url\": \"" + base + "/img/castle.jpg\"}";
        broker.publish(queue, null, bare);
        broker.publish(queue, null, bare);
        Manifest m = awaitCommitted(out, 6);
        stream.stop();
        GenerationReader reader = GenerationReader.open(out.toString(), "stream", new Configuration());
        List<String> indexed = new ArrayList<>();
        reader.readIndex(m, (IndexRow r) -> indexed.add(r.id()));
        assertThat(indexed).containsExactlyInAnyOrder("r1", "r2");
        List<String> failures = new ArrayList<>();
        reader.readFailures(m, (FailureRow r) -> failures.add(r.reason()));
        assertThat(failures)
                .containsExactly("NO_CORRELATION_ID", "NO_CORRELATION_ID", "NO_CORRELATION_ID", "NO_CORRELATION_ID");
        assertThat(m.counts().read()).isEqualTo(6);
        assertThat(broker.ready(queue)).isZero();
    }

    @Test
    void backfillIntoANewGenerationThenStreamOnTopOfIt() throws Exception {
        queue = broker.newQueue("it-backfill");
        Path out = work.resolve("out");
        Running stream = new Running(config(out), UnaryOperator.identity());
        publish(20);
        Manifest streamed = awaitCommitted(out, 20);
        stream.stop();
        GenerationReader old = GenerationReader.open(out.toString(), "stream", new Configuration());
        long oldLatest = old.latest().orElseThrow().generation();

        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--input", out.resolve("stream").resolve(IndexLayout.LATEST).toString(),
                    "--output", out.toString(),
                    "--name", "stream-v2",
                    "--shards", "2",
                    "--model", "imgindex-thumb-v1",
                    "--model-cache", "target/model-cache",
                    "--allow-network", "127.0.0.1/32",
                    "--parallelism", "2",
                    "--fetch.max-attempts", "1"
                },
                IndexOptions.ALL);
        IndexJob.Result backfill = IndexJob.submit(IndexJobConfig.from(p.options()), p.flinkConf());
        Manifest v2 = backfill.manifest();
        assertThat(v2.counts().balanced()).isTrue();
        assertThat(v2.counts().read()).as("every row of the stream, once").isEqualTo(20);
        assertThat(urls(out, "stream-v2", v2)).containsExactlyInAnyOrderElementsOf(urls(out, "stream", streamed));
        assertThat(old.latest().orElseThrow().generation())
                .as("the source index untouched")
                .isEqualTo(oldLatest);

        // A fresh stream on the new index: every commit lists the backfill's rows too, and new messages are checked
        // against them: an id the base holds, a copy of a base image's bytes, the same picture as a JPEG.
        broker.delete(queue);
        queue = broker.newQueue("it-backfill-next");
        int before = published;
        Running next = new Running(configFor(out, "stream-v2"), UnaryOperator.identity());
        publish(10);
        IndexRow inBase = baseRowOfAGeneratedImage(out, v2);
        String picture = inBase.url()
                .substring(inBase.url().lastIndexOf('/') + 1, inBase.url().indexOf(".png"));
        String host = server.base();
        broker.publish(queue, "x-id", "{\"id\": \"" + inBase.id() + "\", \"url\": \"" + host + "/img/castle.jpg\"}");
        broker.publish(
                queue, "x-bytes", "{\"id\": \"bytes-copy\", \"url\": \"" + host + "/gen/" + picture + ".png?copy\"}");
        broker.publish(queue, "x-near", "{\"id\": \"near-copy\", \"url\": \"" + host + "/near/" + picture + ".jpg\"}");
        Manifest grown = awaitCommitted(out, "stream-v2", 33);
        next.stop();
        assertThat(published - before).isEqualTo(10);
        GenerationReader grownReader = GenerationReader.open(out.toString(), "stream-v2", new Configuration());
        Map<String, FailureRow> failures = new HashMap<>();
        grownReader.readFailures(grown, r -> failures.put(r.id(), r));
        Map<String, DuplicateRow> duplicates = new HashMap<>();
        grownReader.readDuplicates(grown, r -> duplicates.put(r.id(), r));
        assertThat(failures.get(inBase.id()))
                .as("a message with the id of a base item")
                .isNotNull()
                .satisfies(f -> assertThat(f.reason()).isEqualTo("ALREADY_INDEXED"));
        assertThat(duplicates.get("bytes-copy"))
                .as("a copy of a base item's bytes")
                .isNotNull()
                .satisfies(d -> {
                    assertThat(d.duplicateOf()).isEqualTo(inBase.id());
                    assertThat(d.match()).isEqualTo(DuplicateRow.MATCH_EXACT);
                });
        assertThat(duplicates.get("near-copy"))
                .as("the picture of a base item as a JPEG")
                .isNotNull()
                .satisfies(d -> {
                    assertThat(d.duplicateOf()).isEqualTo(inBase.id());
                    assertThat(d.match()).isEqualTo(DuplicateRow.MATCH_NEAR);
                    assertThat(d.similarity()).isLessThan(1f).isGreaterThan(0.9f);
                });
        assertThat(grown.counts().balanced()).isTrue();
        assertThat(grown.files())
                .anySatisfy(f -> assertThat(f.path()).startsWith("../generation=" + v2.generation() + "/"))
                .anySatisfy(f -> assertThat(f.path()).startsWith("../streams/"));
        GenerationReader reader = GenerationReader.open(out.toString(), "stream-v2", new Configuration());
        reader.verify(grown);
        assertThat(urls(out, "stream-v2", grown)).hasSize(33).containsAll(urls(out, "stream-v2", v2));
    }

    @Test
    void refusesCredentialsInTheUriAndStreamingOptionsInBatch() {
        queue = null;
        Path out = work.resolve("out");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndexJobConfig.from(Flags.parse(
                                new String[] {
                                    "--mode",
                                    "streaming",
                                    "--queue",
                                    "q",
                                    "--rabbitmq-uri",
                                    "amqp://user:secret@127.0.0.1:5672/",
                                    "--model",
                                    "imgindex-thumb-v1",
                                    "--output",
                                    out.toString()
                                },
                                IndexOptions.ALL)
                        .options()))
                .hasMessageContaining("IMGINDEX_RABBITMQ_PASSWORD")
                .hasMessageNotContaining("secret");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndexJobConfig.from(Flags.parse(
                                new String[] {"--input", "x.txt", "--queue", "q", "--model", "imgindex-thumb-v1"},
                                IndexOptions.ALL)
                        .options()))
                .hasMessageContaining("--queue needs --mode streaming");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> IndexJobConfig.from(Flags.parse(
                                new String[] {"--mode", "streaming", "--model", "imgindex-thumb-v1"}, IndexOptions.ALL)
                        .options()))
                .hasMessageContaining("--queue is required");
    }
}
