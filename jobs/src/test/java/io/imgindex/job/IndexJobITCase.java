package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Sha256;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.Table;
import io.imgindex.testing.TestHttpServer;
import io.imgindex.testing.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The batch job on a MiniCluster against images and hostile answers from a local HTTP server: every URL must
 * end exactly once in the index, duplicates or failures table, with the right reason, and the counts must add
 * up. Then a second run makes generation 2 and leaves generation 1 untouched.
 */
class IndexJobITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    static final List<String> PHOTOS = List.of(
            "coffee.jpg",
            "astronaut.jpg",
            "castle.jpg",
            "beach.jpg",
            "cat.png",
            "cameraman.png",
            "zinnias.gif",
            "rabbit.bmp",
            "rocket.webp",
            "dune-grass.webp",
            "mountain-path.jpg");

    static TestHttpServer server;

    @TempDir
    static Path work;

    /** URL to expected outcome: "index", "duplicate:<id>", or a failure reason code. */
    static final Map<String, String> expected = new LinkedHashMap<>();

    static final Map<String, byte[]> served = new HashMap<>();

    @BeforeAll
    static void serve() {
        server = new TestHttpServer();
        for (String name : PHOTOS) {
            serve("/img/" + name, TestImages.sample(name), "index");
        }
        byte[] coffee = TestImages.sample("coffee.jpg");
        server.bytes("/copies/coffee-again.jpg", coffee, "image/jpeg");
        served.put("/copies/coffee-again.jpg", coffee);
        server.flaky("/flaky.jpg", 1, TestImages.sample("forest.jpg"));
        served.put("/flaky.jpg", TestImages.sample("forest.jpg"));
        server.status("/missing.jpg", 404);
        server.status("/always-500.jpg", 500);
        server.slow("/slow.jpg", 4_000, coffee);
        server.bytes("/page.jpg", TestImages.html(), "text/html");
        server.bytes("/truncated.jpg", TestImages.truncated(TestImages.sample("wave.jpg"), 0.5), "image/jpeg");
        server.declaredSize("/huge.jpg", 10L << 30, coffee);
        server.bytes("/bomb.png", TestImages.pngBomb(200_000, 200_000), "image/png");
        server.redirect("/loop-a", 302, "/loop-b").redirect("/loop-b", 302, "/loop-a");
        // A loopback address outside the one block the job allows (127.0.0.1/32): refused after the redirect, as a
        // private or metadata address would be, without the test ever naming one (AddressPolicyTest covers them).
        server.redirect("/to-private", 307, "http://127.0.0.2:" + server.port() + "/img/coffee.jpg");
        // One crafted file must never stop the job: a 1 x 3,000,000 PNG of a few KB, a JPEG of 300 extra scans.
        server.bytes("/thin.png", TestImages.thinPng(1, 3_000_000), "image/png");
        server.bytes(
                "/scans.jpg", TestImages.withRepeatedLastScan(TestImages.progressiveJpeg(256, 192), 300), "image/jpeg");
        server.redirect("/moved", 301, "/img/coffee.jpg?moved");
        server.bytes("/scan.tiff", TestImages.tiffHeader(), "image/tiff");
    }

    static void serve(String path, byte[] bytes, String outcome) {
        server.bytes(path, bytes, "image/jpeg");
        served.put(path, bytes);
        expected.put(server.url(path), outcome);
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static Path writeList() throws IOException {
        String u = server.base();
        StringBuilder csv = new StringBuilder("# hostile and healthy inputs\nid,url,title\n");
        for (String name : PHOTOS) {
            String id = name.substring(0, name.indexOf('.'));
            csv.append(id)
                    .append(',')
                    .append(u)
                    .append("/img/")
                    .append(name)
                    .append(",\"Photo, ")
                    .append(id)
                    .append("\"\n");
        }
        csv.append("\n");
        Map<String, String> rows = new LinkedHashMap<>();
        rows.put("zz-coffee-again", u + "/copies/coffee-again.jpg");
        rows.put("flaky", u + "/flaky.jpg");
        rows.put("missing", u + "/missing.jpg");
        rows.put("always-500", u + "/always-500.jpg");
        rows.put("slow", u + "/slow.jpg");
        rows.put("page", u + "/page.jpg");
        rows.put("truncated", u + "/truncated.jpg");
        rows.put("huge", u + "/huge.jpg");
        rows.put("bomb", u + "/bomb.png");
        rows.put("loop", u + "/loop-a");
        rows.put("thin", u + "/thin.png");
        rows.put("scans", u + "/scans.jpg");
        rows.put("to-private", u + "/to-private");
        rows.put("moved", u + "/moved");
        rows.put("tiff", u + "/scan.tiff");
        rows.put("ftp", "ftp://example.com/a.jpg");
        rows.put("spaces", "http://exa mple.com/a.jpg");
        rows.put("by-name", "http://localhost:" + server.port() + "/img/astronaut.jpg?by-name");
        for (Map.Entry<String, String> r : rows.entrySet()) {
            csv.append(r.getKey()).append(',').append(r.getValue()).append(",\n");
        }
        csv.append("# the same id again, and a record with too many fields\n");
        csv.append("coffee,").append(u).append("/zz/castle.jpg,\n");
        csv.append("extra,").append(u).append("/img/cat.png,t,unexpected\n");
        Path list = work.resolve("lists/hostile.csv");
        Files.createDirectories(list.getParent());
        Files.writeString(list, csv.toString());
        return list;
    }

    static IndexJob.Result index(Path list, Path out, String... moreFlags) throws Exception {
        String[] flags = {
            "--model",
            "imgindex-thumb-v1",
            "--model-cache",
            "target/model-cache",
            "--input",
            list.toString(),
            "--output",
            out.toString(),
            "--name",
            "hostile",
            "--shards",
            "3",
            "--parallelism",
            "2",
            "--allow-network",
            "127.0.0.1/32",
            "--fetch.connect-timeout",
            "2s",
            "--fetch.read-timeout",
            "1s",
            "--fetch.request-timeout",
            "2s",
            "--fetch.total-timeout",
            "12s",
            "--fetch.max-attempts",
            "2",
            "--fetch.backoff",
            "50ms",
            "--fetch.max-bytes",
            "4mb",
            "--decode.max-pixels",
            "40000000",
            "--embed.batch-size",
            "4"
        };
        Flags.Parsed p = Flags.parse(
                Stream.concat(Stream.of(flags), Stream.of(moreFlags)).toArray(String[]::new), IndexOptions.ALL);
        return IndexJob.submit(IndexJobConfig.from(p.options()), p.flinkConf());
    }

    @Test
    void metadataColumnsAreBoundedOverTheWholeIndexNotPerWriter() throws Exception {
        // 300 records, each with a column of its own, over two readers and two writers: each writer alone stays under
        // the bound, together they would not.
        StringBuilder jsonl = new StringBuilder();
        int n = 300;
        for (int i = 0; i < n; i++) {
            jsonl.append("{\"id\":\"m")
                    .append(i)
                    .append("\",\"url\":\"ftp://127.0.0.1/")
                    .append(i)
                    .append(".jpg\",\"column-")
                    .append(i)
                    .append("\":\"v\"}\n");
        }
        Path list = work.resolve("lists/columns.jsonl");
        Files.createDirectories(list.getParent());
        Files.writeString(list, jsonl.toString());
        Manifest m = index(list, work.resolve("columns")).manifest();
        assertThat(m.counts().balanced()).isTrue();
        assertThat(m.counts().read()).isEqualTo(n);
        assertThat(m.metadataColumns()).hasSize(256);
        List<FailureRow> failures = new ArrayList<>();
        GenerationReader.open(work.resolve("columns").toString(), "hostile", new Configuration())
                .readFailures(m, failures::add);
        // The records past the bound fail as BAD_RECORD, without their metadata; the others reach the URL check.
        assertThat(failures).hasSize(n);
        assertThat(failures.stream().filter(f -> f.reason().equals("BAD_RECORD")))
                .hasSize(n - 256)
                .allSatisfy(f -> {
                    assertThat(f.metadata()).isEmpty();
                    assertThat(f.message()).contains("at most 256");
                });
        assertThat(failures.stream().filter(f -> f.reason().equals("BAD_URL")))
                .hasSize(256)
                .allSatisfy(f -> assertThat(f.metadata()).hasSize(1));
    }

    @Test
    void aDecodePastItsTimeLimitIsAFailureRowNotAJobFailure() throws Exception {
        // Every decode runs past a limit of one nanosecond: the flag reaches the decoder in each task, every image
        // becomes a DECODE_TIMEOUT row and the run ends as usual (ImageDecoderTest stops a real decode mid-way).
        Path list = work.resolve("lists/timeout.txt");
        Files.createDirectories(list.getParent());
        Files.writeString(list, server.url("/img/coffee.jpg") + "\n" + server.url("/img/cat.png") + "\n");
        Manifest m =
                index(list, work.resolve("timeout"), "--decode.timeout", "1ns").manifest();
        assertThat(m.counts().balanced()).isTrue();
        assertThat(m.counts().read()).isEqualTo(2);
        assertThat(m.counts().failedByReason()).containsExactly(Map.entry("DECODE_TIMEOUT", 2L));
        List<FailureRow> failures = new ArrayList<>();
        GenerationReader.open(work.resolve("timeout").toString(), "hostile", new Configuration())
                .readFailures(m, failures::add);
        assertThat(failures).hasSize(2).allSatisfy(f -> assertThat(f.message()).contains("--decode.timeout"));
    }

    @Test
    void accountsForEveryInputAndWritesAVerifiableGeneration() throws Exception {
        Path list = writeList();
        Path out = work.resolve("out");
        IndexJob.Result result = index(list, out);

        Manifest m = result.manifest();
        assertThat(m.generation()).isEqualTo(1);
        assertThat(m.counts().balanced()).isTrue();
        assertThat(m.counts().read()).isEqualTo(PHOTOS.size() + 18 + 2);
        assertThat(m.counts().skippedLines()).isEqualTo(3);

        GenerationReader reader = GenerationReader.open(out.toString(), "hostile", new Configuration());
        assertThat(reader.latest()).get().satisfies(l -> assertThat(l.generation())
                .isEqualTo(1));
        reader.verify(reader.manifest(1));
        List<IndexRow> index = new ArrayList<>();
        List<DuplicateRow> duplicates = new ArrayList<>();
        List<FailureRow> failures = new ArrayList<>();
        reader.readIndex(m, index::add);
        reader.readDuplicates(m, duplicates::add);
        reader.readFailures(m, failures::add);

        // Every input record appears exactly once, keyed by its source line.
        List<String> sources = new ArrayList<>();
        index.forEach(r -> sources.add(r.source()));
        duplicates.forEach(r -> sources.add(r.source()));
        failures.forEach(r -> sources.add(r.source()));
        assertThat(sources).doesNotHaveDuplicates().hasSize((int) m.counts().read());

        Map<String, String> outcome = new HashMap<>();
        index.forEach(r -> outcome.put(r.id(), "index"));
        duplicates.forEach(r -> outcome.put(r.id(), "duplicate:" + r.duplicateOf()));
        // The losing line of the repeated id "coffee" is checked on its own below.
        failures.stream().filter(r -> !r.reason().equals("DUPLICATE_ID")).forEach(r -> assertThat(
                        outcome.put(r.id() == null ? r.url() : r.id(), r.reason()))
                .isNull());

        for (String name : PHOTOS) {
            assertThat(outcome).containsEntry(name.substring(0, name.indexOf('.')), "index");
        }
        assertThat(outcome)
                .containsEntry("flaky", "index")
                .containsEntry("by-name", "duplicate:astronaut")
                .containsEntry("zz-coffee-again", "duplicate:coffee")
                .containsEntry("moved", "duplicate:coffee")
                .containsEntry("missing", "HTTP_404")
                .containsEntry("always-500", "HTTP_500")
                .containsEntry("slow", "TIMEOUT")
                .containsEntry("page", "NOT_AN_IMAGE")
                .containsEntry("truncated", "CORRUPT_IMAGE")
                .containsEntry("huge", "TOO_LARGE")
                .containsEntry("bomb", "TOO_MANY_PIXELS")
                .containsEntry("loop", "TOO_MANY_REDIRECTS")
                .containsEntry("thin", "BAD_DIMENSIONS")
                .containsEntry("scans", "TOO_MANY_SCANS")
                .containsEntry("to-private", "BLOCKED_ADDRESS")
                .containsEntry("tiff", "UNSUPPORTED_FORMAT")
                .containsEntry("ftp", "BAD_URL")
                .containsEntry("spaces", "BAD_URL");
        // The repeated id "coffee" is refused (the smaller URL, the original, is kept); the row with too many
        // fields has no id.
        assertThat(failures)
                .filteredOn(f -> "coffee".equals(f.id()))
                .singleElement()
                .satisfies(f -> assertThat(f.reason()).isEqualTo("DUPLICATE_ID"));
        assertThat(failures)
                .filteredOn(f -> f.reason().equals("BAD_RECORD"))
                .singleElement()
                .satisfies(f -> assertThat(f.message()).contains("4 fields"));
        assertThat(m.counts().failedByReason())
                .containsEntry("DUPLICATE_ID", 1L)
                .containsEntry("BAD_RECORD", 1L)
                .containsEntry("HTTP_404", 1L);

        // Index rows carry what the format promises.
        for (IndexRow r : index) {
            assertThat(r.vector()).hasSize(128);
            assertThat(norm(r.vector())).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
            assertThat(r.modelId()).isEqualTo("imgindex-thumb-v1");
        }
        for (ManifestFile f : m.filesOf(Table.INDEX)) {
            reader.readIndexFile(
                    m, f, r -> assertThat(ShardAssignment.shardOf(r.id(), 3)).isEqualTo(f.shard()));
        }
        IndexRow coffee =
                index.stream().filter(r -> r.id().equals("coffee")).findFirst().orElseThrow();
        byte[] coffeeBytes = TestImages.sample("coffee.jpg");
        BufferedImage decoded = ImageIO.read(new ByteArrayInputStream(coffeeBytes));
        assertThat(coffee.sha256()).isEqualTo(Sha256.hex(coffeeBytes));
        assertThat(coffee.bytes()).isEqualTo(coffeeBytes.length);
        assertThat(coffee.width()).isEqualTo(decoded.getWidth());
        assertThat(coffee.height()).isEqualTo(decoded.getHeight());
        assertThat(coffee.format()).isEqualTo("jpeg");
        assertThat(coffee.metadata()).containsEntry("title", "Photo, coffee");
        IndexRow rotated = index.stream()
                .filter(r -> r.id().equals("mountain-path"))
                .findFirst()
                .orElseThrow();
        assertThat(rotated.width()).isEqualTo(640);
        assertThat(rotated.height()).isEqualTo(480);
        assertThat(index)
                .filteredOn(r -> r.id().equals("rocket"))
                .singleElement()
                .satisfies(r -> assertThat(r.format()).isEqualTo("webp"));
        assertThat(m.metadataColumns()).containsEntry("title", "string");

        // No stray files: exactly the listed files, no in-progress leftovers, in the generation's folder and under
        // segments/ (the index table: one segment per shard with rows, each with its rows and its graph).
        Path root = out.resolve("hostile");
        Path gen = root.resolve(IndexLayout.generationDir(1));
        try (Stream<Path> inGeneration = Files.walk(gen);
                Stream<Path> inSegments = Files.walk(root.resolve(IndexLayout.SEGMENTS))) {
            List<String> data = Stream.concat(
                            inGeneration.filter(Files::isRegularFile).map(p -> gen.relativize(p)
                                    .toString()),
                            inSegments.filter(Files::isRegularFile).map(p -> "../" + root.relativize(p)))
                    .filter(p -> !p.startsWith("_"))
                    .sorted()
                    .toList();
            assertThat(data)
                    .containsExactlyInAnyOrderElementsOf(
                            m.files().stream().map(ManifestFile::path).toList());
        }
        assertThat(m.formatVersion()).isEqualTo(2);
        assertThat(m.segments()).extracting(SegmentInfo::rows).allMatch(r -> r > 0);
        assertThat(m.segments().stream().mapToLong(SegmentInfo::rows).sum())
                .isEqualTo(m.counts().indexed());

        // A second run makes generation 2 and leaves generation 1 as it was.
        Map<String, String> before = hashes(gen);
        IndexJob.Result again = index(list, out);
        assertThat(again.manifest().generation()).isEqualTo(2);
        assertThat(hashes(gen)).isEqualTo(before);
        assertThat(reader.latest()).get().satisfies(l -> assertThat(l.generation())
                .isEqualTo(2));
        assertThat(again.manifest().counts()).isEqualTo(m.counts());
        // Deterministic choices: the same items kept, the same duplicates.
        List<IndexRow> index2 = new ArrayList<>();
        reader.readIndex(again.manifest(), index2::add);
        assertThat(index2)
                .extracting(IndexRow::id)
                .containsExactlyInAnyOrderElementsOf(
                        index.stream().map(IndexRow::id).toList());
    }

    /** The SHA-256 of every file under {@code dir}, by relative path. */
    static Map<String, String> hashes(Path dir) throws IOException {
        Map<String, String> out = new HashMap<>();
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Sha256.hex(Files.readAllBytes(p)));
            }
        }
        return out;
    }

    private static double norm(float[] v) {
        double s = 0;
        for (float x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }
}
