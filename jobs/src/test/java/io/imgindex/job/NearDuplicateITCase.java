package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.dedup.near.NearDupTruth;
import io.imgindex.flags.Flags;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Near-duplicate removal in the job, against ground truth: eight sample photos with their ten kinds of copies
 * ({@link NearDupTruth}), the face crops as hard negatives, and an exact byte copy of one copy, indexed with the
 * default model. The duplicates table must name indexed items only, never an item from another photo, find most
 * copies, and be the same when run again at another parallelism.
 */
class NearDuplicateITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @TempDir
    Path work;

    @Test
    void findsCopiesAgainstGroundTruthAndReruns() throws Exception {
        Path originals = Files.createDirectories(work.resolve("originals"));
        try (var images = Files.list(TestImages.sampleData().resolve("images"))) {
            for (Path p : images.sorted().limit(8).toList()) {
                Files.copy(p, originals.resolve(p.getFileName()));
            }
        }
        Path set = work.resolve("set");
        List<NearDupTruth.Row> rows = NearDupTruth.build(
                List.of(originals),
                List.of(TestImages.sampleData().resolve("faces/crops")),
                NearDupTruth.TRANSFORMS,
                set);
        Map<String, String> family = new HashMap<>();
        rows.forEach(r -> family.put(r.id(), r.original()));
        // An exact byte copy of a copy: it skips the embedding and must follow that copy.
        NearDupTruth.Row mirror = rows.stream()
                .filter(r -> r.transform().equals("mirror"))
                .findFirst()
                .orElseThrow();
        Files.copy(mirror.file(), set.resolve("bytes-copy.jpg"));
        Files.writeString(
                set.resolve("items.csv"), "bytes-copy,bytes-copy.jpg\n", java.nio.file.StandardOpenOption.APPEND);
        family.put("bytes-copy", mirror.original());

        Manifest first = run(set, "1");
        assertThat(first.counts().balanced()).isTrue();
        assertThat(first.counts().read()).isEqualTo(rows.size() + 1);
        assertThat(first.counts().failed()).isZero();
        System.out.println("near-duplicates in the job: " + first.counts().summary());
        // The byte copy's twin became a near-duplicate, so the byte copy is recorded as one too.
        assertThat(first.counts().duplicatesByMatch()).containsOnlyKeys("near");

        Set<String> indexed = new HashSet<>();
        GenerationReader reader = GenerationReader.open(work.resolve("out").toString(), "truth", new Configuration());
        reader.readIndex(first, (IndexRow r) -> indexed.add(r.id()));
        Map<String, DuplicateRow> duplicates = new TreeMap<>();
        reader.readDuplicates(first, d -> duplicates.put(d.id(), d));

        List<String> wrong = new ArrayList<>();
        for (DuplicateRow d : duplicates.values()) {
            assertThat(indexed).as("%s names an indexed item", d.id()).contains(d.duplicateOf());
            assertThat(d.similarity()).isGreaterThanOrEqualTo(0.86f);
            if (!family.get(d.id()).equals(family.get(d.duplicateOf()))) {
                wrong.add(d.id() + " -> " + d.duplicateOf());
            }
        }
        assertThat(wrong).as("duplicates of another photo (precision)").isEmpty();
        DuplicateRow bytesCopy =
                duplicates.containsKey("bytes-copy") ? duplicates.get("bytes-copy") : duplicates.get(mirror.id());
        assertThat(bytesCopy)
                .as("one of two identical files is an exact copy of the other")
                .isNotNull();
        assertThat(indexed).contains(bytesCopy.duplicateOf());
        assertThat(bytesCopy.match()).isEqualTo(DuplicateRow.MATCH_NEAR);

        // Recall: copies that end in the same group as their original.
        Map<String, String> root = new HashMap<>();
        indexed.forEach(id -> root.put(id, id));
        duplicates.values().forEach(d -> root.put(d.id(), d.duplicateOf()));
        int copies = 0;
        int found = 0;
        for (NearDupTruth.Row r : rows) {
            if (!r.transform().equals("original")) {
                copies++;
                found += root.get(r.id()).equals(root.get(r.original())) ? 1 : 0;
            }
        }
        System.out.printf("near-duplicates in the job: %d of %d copies with their original, 0 wrong%n", found, copies);
        assertThat((double) found / copies).isGreaterThan(0.75);

        Manifest second = run(set, "2");
        Map<String, String> again = new TreeMap<>();
        reader.readDuplicates(second, d -> again.put(d.id(), d.duplicateOf()));
        Map<String, String> before = new TreeMap<>();
        duplicates.values().forEach(d -> before.put(d.id(), d.duplicateOf()));
        assertThat(second.generation()).isEqualTo(first.generation() + 1);
        assertThat(again).as("a rerun keeps the same items").isEqualTo(before);
    }

    private Manifest run(Path set, String parallelism) throws Exception {
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--input",
                    set.resolve("items.csv").toString(),
                    "--allow-file-root",
                    set.toString(),
                    "--model-cache",
                    "target/model-cache",
                    "--output",
                    work.resolve("out").toString(),
                    "--name",
                    "truth",
                    "--shards",
                    "2",
                    "--parallelism",
                    parallelism,
                    // The rerun must see the same vectors to be judged on its decisions: TensorFlow's CPU kernels
                    // round differently by batch size and thread count (batches form by arrival time), and one
                    // similarity within 1e-6 of the threshold would flip a decision. Fixed shapes and one thread
                    // repeat bit for bit on one machine; the decisions are then the job's alone.
                    "--embed.batch-size",
                    "1",
                    "--embed.intra-op-threads",
                    "1",
                    "--embed.inter-op-threads",
                    "1"
                },
                IndexOptions.ALL);
        return IndexJob.submit(IndexJobConfig.from(p.options()), Map.of()).manifest();
    }
}
