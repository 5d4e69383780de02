package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.Counts;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexColumns;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.RunInfo;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.TableWriter;
import io.imgindex.format.segment.ThumbnailPack;
import io.imgindex.testing.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.io.LocalInputFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Compaction and retention on a MiniCluster: an index of many small segments (the sample photos written five rows to
 * a segment) compacts into one segment per shard with every row and count kept, readable and verifiable; retention
 * then deletes the older generation and the files only it listed, never one the kept generation lists; a format
 * version 1 generation converts into segments.
 */
class CompactionITCase {

    @TempDir
    Path work;

    Manifest index(Path out, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of(
                "--model",
                "imgindex-thumb-v1",
                "--model-cache",
                "target/model-cache",
                "--input",
                TestImages.sampleData().resolve("photos.csv").toString(),
                "--allow-file-root",
                TestImages.sampleData().toString(),
                "--output",
                out.toString(),
                "--name",
                "photos",
                "--shards",
                "2",
                "--parallelism",
                "2",
                "--no-near-dup"));
        args.addAll(List.of(more));
        Flags.Parsed p = Flags.parse(args.toArray(new String[0]), IndexOptions.ALL);
        return IndexJob.submit(IndexJobConfig.from(p.options()), Map.of()).manifest();
    }

    CompactJob.Result compact(Path out, String... more) throws Exception {
        List<String> args = new ArrayList<>(List.of("--index", out.toString(), "--name", "photos"));
        args.addAll(List.of(more));
        Flags.Parsed p = Flags.parse(args.toArray(new String[0]), CompactOptions.ALL);
        return CompactJob.run(CompactOptions.config(p.options()), Map.of());
    }

    static Map<String, float[]> rows(GenerationReader reader, Manifest m) throws Exception {
        Map<String, float[]> rows = new TreeMap<>();
        reader.readIndex(m, r -> rows.put(r.id(), r.vector()));
        return rows;
    }

    /** Every indexed row's thumbnail, by id, read from the segments' packs. */
    static Map<String, byte[]> thumbnails(Path indexRoot, Manifest m) throws Exception {
        Map<String, byte[]> out = new TreeMap<>();
        Path gen = indexRoot.resolve(IndexLayout.generationDir(m.generation()));
        for (SegmentInfo s : m.segments()) {
            Map<String, ManifestFile> files = m.filesOf(s);
            ManifestFile pack = files.get(ManifestFile.THUMBNAILS);
            if (pack == null) {
                continue;
            }
            IndexColumns cols = IndexColumns.read(
                    new LocalInputFile(
                            gen.resolve(files.get(ManifestFile.ROWS).path()).normalize()),
                    m.model().dimension(),
                    s.rows(),
                    false);
            try (ThumbnailPack.Reader r =
                    ThumbnailPack.Reader.open(gen.resolve(pack.path()).normalize(), s.rows())) {
                for (int i = 0; i < s.rows(); i++) {
                    out.put(cols.id(i), r.get(i));
                }
            }
        }
        return out;
    }

    @Test
    void mergesSmallSegmentsKeepingEveryRowThenRetentionDeletesOnlyWhatNoKeptGenerationLists() throws Exception {
        Path out = work.resolve("out");
        Manifest before = index(out, "--segment.max-rows", "5");
        assertThat(before.segments().size()).as("39 rows, 5 to a segment").isGreaterThanOrEqualTo(8);
        GenerationReader reader = GenerationReader.open(out.toString(), "photos", new Configuration());
        Map<String, float[]> rowsBefore = rows(reader, before);
        // The job stored a thumbnail of every indexed photo: a JPEG, 160 pixels on its longest side at most.
        Map<String, byte[]> thumbnailsBefore = thumbnails(out.resolve("photos"), before);
        assertThat(thumbnailsBefore.keySet()).isEqualTo(rowsBefore.keySet());
        BufferedImage coffee = ImageIO.read(new ByteArrayInputStream(thumbnailsBefore.get("coffee")));
        assertThat(Math.max(coffee.getWidth(), coffee.getHeight())).isEqualTo(160);

        CompactJob.Result r = compact(out, "--retain", "1");
        System.out.print(CompactJob.summary(r));

        Manifest after = r.manifest();
        assertThat(after.generation()).isGreaterThan(before.generation());
        assertThat(after.run().mode()).isEqualTo("COMPACTION");
        assertThat(after.segments()).hasSize(2).extracting(SegmentInfo::shard).containsExactlyInAnyOrder(0, 1);
        assertThat(after.counts()).isEqualTo(before.counts());
        reader.verify(after);
        Map<String, float[]> rowsAfter = rows(reader, after);
        assertThat(rowsAfter.keySet()).isEqualTo(rowsBefore.keySet());
        // The same vectors, stored and read back.
        rowsBefore.forEach((id, v) -> assertThat(rowsAfter.get(id)).containsExactly(v));
        // Their thumbnails moved with them, byte for byte.
        Map<String, byte[]> thumbnailsAfter = thumbnails(out.resolve("photos"), after);
        assertThat(thumbnailsAfter.keySet()).isEqualTo(thumbnailsBefore.keySet());
        thumbnailsBefore.forEach((id, t) -> assertThat(thumbnailsAfter.get(id)).isEqualTo(t));
        assertThat(reader.latest()).get().extracting(LatestPointer::generation).isEqualTo(after.generation());

        // Retention kept only the compacted generation: the old manifest and the merged segments are gone, the
        // duplicates and failures files the new generation still lists (in the old generation's folder) are not.
        assertThat(r.retained().kept()).containsExactly(after.generation());
        assertThat(r.retained().deletedGenerations()).containsExactly(before.generation());
        assertThat(out.resolve("photos")
                        .resolve(IndexLayout.generationDir(before.generation()))
                        .resolve("_manifest.json"))
                .doesNotExist();
        for (SegmentInfo s : before.segments()) {
            assertThat(out.resolve("photos/segments/shard=" + s.shard()).resolve(s.id()))
                    .doesNotExist();
        }
        for (ManifestFile f : after.files()) {
            assertThat(out.resolve("photos").resolve(IndexLayout.rootRelative(after.generation(), f.path())))
                    .exists();
        }

        // Nothing left to merge: one segment per shard.
        assertThat(compact(out).plan().empty()).isTrue();
    }

    @Test
    void convertsAFormatVersionOneGenerationIntoSegments() throws Exception {
        Path root = work.resolve("out/photos");
        Path gen = root.resolve(IndexLayout.generationDir(1));
        List<ManifestFile> files = new ArrayList<>();
        Map<Integer, List<Integer>> byShard = new HashMap<>();
        int n = 50;
        for (int i = 0; i < n; i++) {
            byShard.computeIfAbsent(ShardAssignment.shardOf("v" + i, 2), k -> new ArrayList<>())
                    .add(i);
        }
        for (Map.Entry<Integer, List<Integer>> e : byShard.entrySet()) {
            String rel = "shard=" + e.getKey() + "/" + IndexLayout.partFileName(0, 0, e.getKey());
            Files.createDirectories(gen.resolve(rel).getParent());
            try (OutputStream o = Files.newOutputStream(gen.resolve(rel));
                    TableWriter<IndexRow> w = TableWriter.index(o, rel, e.getKey())) {
                for (int i : e.getValue()) {
                    float[] v = new float[128];
                    v[i % 128] = 1;
                    w.write(new IndexRow(
                            "v" + i, "http://x/" + i, v, "imgindex-thumb-v1", 1, 1, "png", 1, "00", 0, null, Map.of()));
                }
                files.add(w.finish());
            }
        }
        Manifest v1 = Manifest.flat(
                "photos",
                1,
                new ModelInfo("imgindex-thumb-v1", 128, ModelInfo.COSINE),
                2,
                new Counts(n, 0, n, 0, 0, Map.of()),
                Map.of(),
                files,
                new RunInfo("BATCH", List.of("t"), "t0", "t1", List.of()));
        Files.write(gen.resolve(IndexLayout.MANIFEST), ManifestCodec.encode(v1));
        Files.write(root.resolve(IndexLayout.LATEST), ManifestCodec.encode(LatestPointer.to(1, "t1")));

        CompactJob.Result r = compact(work.resolve("out"));

        Manifest after = r.manifest();
        assertThat(after.formatVersion()).isEqualTo(2);
        assertThat(after.segments()).hasSize(2);
        assertThat(after.counts().indexed()).isEqualTo(n);
        GenerationReader reader = GenerationReader.open(work.resolve("out").toString(), "photos", new Configuration());
        reader.verify(after);
        assertThat(rows(reader, after)).hasSize(n);
    }
}
