package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.SegmentInfo;
import io.imgindex.testing.TestHttpServer;
import io.imgindex.testing.TestImages;
import java.awt.Image;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appending to an index twice ({@code --append-to}): each generation lists the one before it as it is plus the
 * run's own segments, new images are deduplicated against the base (an exact copy and a near copy name the base
 * item), a line whose id the base holds fails as {@code ALREADY_INDEXED}, the counts add up across the runs, and
 * the base's files are never rewritten. Read back with the format's own reader.
 */
class AppendITCase {

    static TestHttpServer server;

    @TempDir
    static Path work;

    @BeforeAll
    static void serve() throws IOException {
        server = new TestHttpServer();
        for (String name : List.of("coffee.jpg", "castle.jpg", "cat.png", "rocket.webp", "wave.jpg")) {
            server.bytes("/img/" + name, TestImages.sample(name), "image/jpeg");
        }
        server.bytes("/copies/coffee-again.jpg", TestImages.sample("coffee.jpg"), "image/jpeg");
        server.bytes("/copies/rocket-again.webp", TestImages.sample("rocket.webp"), "image/webp");
        server.bytes("/near/cat-smaller.jpg", smaller(TestImages.sample("cat.png")), "image/jpeg");
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    /** The image at 90% of its size, as a JPEG: another file, the same picture. */
    static byte[] smaller(byte[] image) throws IOException {
        BufferedImage in = ImageIO.read(new ByteArrayInputStream(image));
        int w = in.getWidth() * 9 / 10;
        int h = in.getHeight() * 9 / 10;
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        out.getGraphics().drawImage(in.getScaledInstance(w, h, Image.SCALE_SMOOTH), 0, 0, null);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(out, "jpeg", bytes);
        return bytes.toByteArray();
    }

    static Path list(String name, String... rows) throws IOException {
        StringBuilder csv = new StringBuilder("id,url\n");
        for (String r : rows) {
            int comma = r.indexOf(',');
            csv.append(r, 0, comma + 1)
                    .append(server.url(r.substring(comma + 1)))
                    .append('\n');
        }
        Path p = work.resolve("lists/" + name);
        Files.createDirectories(p.getParent());
        Files.writeString(p, csv.toString());
        return p;
    }

    static Manifest index(Path list, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--model",
                "imgindex-thumb-v1",
                "--model-cache",
                "target/model-cache",
                "--input",
                list.toString(),
                "--output",
                work.resolve("out").toString(),
                "--name",
                "grows",
                "--shards",
                "2",
                "--parallelism",
                "2",
                "--allow-network",
                "127.0.0.1/32",
                "--quiet"));
        args.addAll(List.of(more));
        Flags.Parsed p = Flags.parse(args.toArray(new String[0]), IndexOptions.ALL);
        IndexJob.Result r = IndexJob.submit(IndexJobConfig.from(p.options()), p.flinkConf());
        System.out.print(RunSummary.of(r));
        return r.manifest();
    }

    @Test
    void appendsTwiceDeduplicatingAgainstTheBase() throws Exception {
        Manifest first =
                index(list("first.csv", "coffee,/img/coffee.jpg", "castle,/img/castle.jpg", "cat,/img/cat.png"));
        assertThat(first.counts().indexed()).isEqualTo(3);
        Path gen1 = work.resolve("out/grows/generation=1");
        Map<String, String> before = IndexJobITCase.hashes(gen1);

        Manifest second = index(
                list(
                        "second.csv",
                        "rocket,/img/rocket.webp", // new
                        "coffee-again,/copies/coffee-again.jpg", // the bytes of the base's coffee
                        "cat-smaller,/near/cat-smaller.jpg", // the base's cat, smaller
                        "castle,/img/castle.jpg"), // the base's id
                "--append-to",
                "latest");
        assertThat(second.generation()).isEqualTo(2);
        assertThat(second.counts().read()).isEqualTo(3 + 4);
        assertThat(second.counts().indexed()).isEqualTo(4);
        assertThat(second.counts().duplicates()).isEqualTo(2);
        assertThat(second.counts().failedByReason()).containsEntry("ALREADY_INDEXED", 1L);
        assertThat(second.counts().balanced()).isTrue();
        // The base's segments are listed as they are; the run wrote one row (rocket), and nothing of the base.
        Set<String> firstSegments = ids(first);
        assertThat(ids(second)).containsAll(firstSegments);
        assertThat(second.segments().stream()
                        .filter(s -> !firstSegments.contains(s.id()))
                        .mapToLong(SegmentInfo::rows)
                        .sum())
                .isEqualTo(1);

        Manifest third = index(
                list("third.csv", "wave,/img/wave.jpg", "rocket-again,/copies/rocket-again.webp"), "--append-to", "2");
        assertThat(third.counts().read()).isEqualTo(7 + 2);
        assertThat(third.counts().indexed()).isEqualTo(5);
        assertThat(ids(third)).containsAll(ids(second));

        // Read back: every input once, duplicates naming base items, the base's failure too.
        GenerationReader reader = GenerationReader.open(work.resolve("out").toString(), "grows", new Configuration());
        reader.verify(third);
        List<String> indexed = new ArrayList<>();
        reader.readIndex(third, (IndexRow r) -> indexed.add(r.id()));
        assertThat(indexed).containsExactlyInAnyOrder("coffee", "castle", "cat", "rocket", "wave");
        Map<String, DuplicateRow> duplicates = new HashMap<>();
        reader.readDuplicates(third, d -> duplicates.put(d.id(), d));
        assertThat(duplicates).containsOnlyKeys("coffee-again", "cat-smaller", "rocket-again");
        assertThat(duplicates.get("coffee-again").duplicateOf()).isEqualTo("coffee");
        assertThat(duplicates.get("coffee-again").match()).isEqualTo("exact");
        assertThat(duplicates.get("cat-smaller").duplicateOf()).isEqualTo("cat");
        assertThat(duplicates.get("cat-smaller").match()).isEqualTo("near");
        assertThat(duplicates.get("rocket-again").duplicateOf()).isEqualTo("rocket");
        List<FailureRow> failures = new ArrayList<>();
        reader.readFailures(third, failures::add);
        assertThat(failures).singleElement().satisfies(f -> {
            assertThat(f.id()).isEqualTo("castle");
            assertThat(f.reason()).isEqualTo("ALREADY_INDEXED");
            assertThat(f.message()).contains("the same URL");
        });
        assertThat(IndexJobITCase.hashes(gen1))
                .as("generation 1 is never rewritten")
                .isEqualTo(before);
    }

    private static Set<String> ids(Manifest m) {
        return m.segments().stream().map(SegmentInfo::id).collect(Collectors.toSet());
    }
}
