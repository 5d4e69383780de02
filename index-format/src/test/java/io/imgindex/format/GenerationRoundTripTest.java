package io.imgindex.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.util.HadoopInputFile;
import org.apache.parquet.schema.MessageType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationRoundTripTest {

    @TempDir
    Path out;

    Path generation;
    Manifest manifest;

    @BeforeEach
    void writeGeneration() throws IOException {
        generation = out.resolve("demo").resolve(IndexLayout.generationDir(7));
        List<ManifestFile> files = new ArrayList<>();
        String shard1 = IndexLayout.tableDir(Table.INDEX, 1) + "/" + IndexLayout.partFileName(0, 0, 0);
        try (TableWriter<IndexRow> w = TableWriter.index(open(shard1), shard1, 1)) {
            w.write(new IndexRow(
                    "a",
                    "http://x/a.jpg",
                    new float[] {0.6f, 0.8f, 0f},
                    "m1",
                    640,
                    480,
                    "jpeg",
                    1234,
                    "ab".repeat(32),
                    1_700_000_000_000L,
                    "list.csv:2",
                    Map.of("title", "A", "n", "1")));
            w.write(new IndexRow(
                    "b",
                    "http://x/b.jpg",
                    new float[] {0f, 0f, 1f},
                    "m1",
                    10,
                    20,
                    "png",
                    99,
                    "cd".repeat(32),
                    1_700_000_000_001L,
                    null,
                    Map.of()));
            files.add(w.finish());
        }
        String dups = IndexLayout.tableDir(Table.DUPLICATES, -1) + "/" + IndexLayout.partFileName(0, 0, 1);
        try (TableWriter<DuplicateRow> w = TableWriter.duplicates(open(dups), dups)) {
            w.write(new DuplicateRow(
                    "c",
                    "http://x/c.jpg",
                    "a",
                    1f,
                    DuplicateRow.MATCH_EXACT,
                    "ab".repeat(32),
                    1L,
                    "list.csv:4",
                    Map.of()));
            files.add(w.finish());
        }
        String fails = IndexLayout.tableDir(Table.FAILURES, -1) + "/" + IndexLayout.partFileName(1, 0, 0);
        try (TableWriter<FailureRow> w = TableWriter.failures(open(fails), fails)) {
            w.write(new FailureRow(
                    "http://x/d.jpg", "d", "HTTP_404", "server answered 404", 404, 1, 2L, null, Map.of("title", "D")));
            w.write(new FailureRow(
                    "{bad json", null, "BAD_RECORD", "line is not valid JSON", null, 0, 3L, "list.jsonl:9", Map.of()));
            files.add(w.finish());
        }
        Counts counts = new Counts(5, 2, 2, 1, 2, Map.of("HTTP_404", 1L, "BAD_RECORD", 1L));
        manifest = Manifest.flat(
                "demo",
                7,
                new ModelInfo("m1", 3, ModelInfo.COSINE),
                2,
                counts,
                Map.of("title", "string", "n", "number"),
                files,
                new RunInfo("BATCH", List.of("list.csv"), "t0", "t1", List.of()));
        Files.write(generation.resolve(IndexLayout.MANIFEST), ManifestCodec.encode(manifest));
        Files.write(out.resolve("demo").resolve(IndexLayout.LATEST), ManifestCodec.encode(LatestPointer.to(7, "t1")));
    }

    private OutputStream open(String relative) throws IOException {
        Path p = generation.resolve(relative);
        Files.createDirectories(p.getParent());
        return Files.newOutputStream(p);
    }

    @Test
    void readsBackWhatWasWritten() throws IOException {
        GenerationReader reader = GenerationReader.open(out.toString(), "demo", new Configuration());

        assertThat(reader.latest()).get().extracting(LatestPointer::generation).isEqualTo(7L);
        assertThat(reader.generations()).containsExactly(7L);
        Manifest m = reader.manifest(7);
        assertThat(m).isEqualTo(manifest);
        reader.verify(m);

        List<IndexRow> rows = new ArrayList<>();
        reader.readIndex(m, rows::add);
        assertThat(rows).extracting(IndexRow::id).containsExactly("a", "b");
        assertThat(rows.get(0).vector()).containsExactly(0.6f, 0.8f, 0f);
        assertThat(rows.get(0).metadata()).isEqualTo(Map.of("n", "1", "title", "A"));
        assertThat(rows.get(0).source()).isEqualTo("list.csv:2");
        assertThat(rows.get(1).source()).isNull();
        assertThat(rows.get(1).ingestedAtMillis()).isEqualTo(1_700_000_000_001L);

        List<DuplicateRow> dups = new ArrayList<>();
        reader.readDuplicates(m, dups::add);
        assertThat(dups).singleElement().satisfies(d -> {
            assertThat(d.duplicateOf()).isEqualTo("a");
            assertThat(d.match()).isEqualTo("exact");
        });
        List<FailureRow> failures = new ArrayList<>();
        reader.readFailures(m, failures::add);
        assertThat(failures).extracting(FailureRow::reason).containsExactly("HTTP_404", "BAD_RECORD");
        assertThat(failures.get(0).httpStatus()).isEqualTo(404);
        assertThat(failures.get(1).id()).isNull();
        assertThat(failures.get(1).httpStatus()).isNull();
    }

    /** A streaming commit lists files of its run folder relative to the index root, and they read back verified. */
    @Test
    void readsFilesSharedThroughTheIndexRoot() throws IOException {
        String relative =
                "streams/run-1/" + IndexLayout.tableDir(Table.INDEX, 0) + "/" + IndexLayout.partFileName(0, "t0ken", 0);
        Path file = out.resolve("demo").resolve(relative);
        Files.createDirectories(file.getParent());
        ManifestFile shared;
        try (TableWriter<IndexRow> w =
                TableWriter.index(Files.newOutputStream(file), IndexLayout.INDEX_ROOT_PREFIX + relative, 0)) {
            w.write(new IndexRow(
                    "s",
                    "http://x/s.jpg",
                    new float[] {1f, 0f, 0f},
                    "m1",
                    1,
                    1,
                    "png",
                    1,
                    "ef".repeat(32),
                    5L,
                    null,
                    Map.of()));
            shared = w.finish();
        }
        assertThat(shared.shared()).isTrue();
        List<ManifestFile> files = new ArrayList<>(manifest.files());
        files.add(shared);
        Manifest eight = Manifest.flat(
                "demo",
                8,
                manifest.model(),
                2,
                new Counts(6, 2, 3, 1, 2, manifest.counts().failedByReason()),
                manifest.metadataColumns(),
                files.stream()
                        .map(f -> f.shared() || f.path().startsWith("..")
                                ? f
                                : new ManifestFile(
                                        "../" + IndexLayout.generationDir(7) + "/" + f.path(),
                                        f.table(),
                                        f.shard(),
                                        f.rows(),
                                        f.bytes(),
                                        f.sha256()))
                        .toList(),
                new RunInfo("STREAMING", List.of("amqp:q"), "t0", "t2", List.of(), "run-1", 3L));
        Path dir8 = out.resolve("demo").resolve(IndexLayout.generationDir(8));
        Files.createDirectories(dir8);
        Files.write(dir8.resolve(IndexLayout.MANIFEST), ManifestCodec.encode(eight));

        GenerationReader reader = GenerationReader.open(out.toString(), "demo", new Configuration());
        Manifest m = reader.manifest(8);
        assertThat(m.run().stream()).isEqualTo("run-1");
        assertThat(m.run().checkpoint()).isEqualTo(3L);
        reader.verify(m);
        List<IndexRow> rows = new ArrayList<>();
        reader.readIndex(m, rows::add);
        assertThat(rows).extracting(IndexRow::id).containsExactlyInAnyOrder("a", "b", "s");
    }

    @Test
    void inFlightRecordsBalanceAStreamingCommit() {
        Counts c = new Counts(10, 0, 5, 2, 1, Map.of("X", 1L), Map.of(), 2);
        assertThat(c.balanced()).isTrue();
        assertThat(c.summary())
                .isEqualTo("read 10 = indexed 5 + duplicates 2 + failed 1 + in flight 2 (skipped lines 0)");
        assertThat(new Counts(10, 0, 5, 2, 1, Map.of("X", 1L), Map.of(), -2).balanced())
                .isFalse();
    }

    @Test
    void readsColumnsIntoArrays() throws IOException {
        GenerationReader reader = GenerationReader.open(out.toString(), "demo", new Configuration());
        ManifestFile f = manifest.filesOf(Table.INDEX).get(0);
        IndexColumns cols = IndexColumns.read(new InMemoryInputFile(reader.readVerified(manifest, f)), 3, f.rows());

        assertThat(cols.size()).isEqualTo(2);
        assertThat(java.util.Arrays.copyOf(cols.vectors(), 6)).containsExactly(0.6f, 0.8f, 0f, 0f, 0f, 1f);
        assertThat(cols.id(1)).isEqualTo("b");
        assertThat(cols.url(0)).isEqualTo("http://x/a.jpg");
        assertThat(cols.width(0)).isEqualTo(640);
        assertThat(cols.format(1)).isEqualTo("png");
        assertThat(cols.bytes(0)).isEqualTo(1234);
        assertThat(cols.ingestedAtMillis(1)).isEqualTo(1_700_000_000_001L);
        assertThat(cols.source(0)).isEqualTo("list.csv:2");
        assertThat(cols.source(1)).isNull();
        assertThat(cols.metadata(0)).isEqualTo(Map.of("title", "A", "n", "1"));
        assertThat(cols.metadata(1)).isEmpty();
        assertThat(cols.trim().vectors()).hasSize(6);

        assertThatThrownBy(() -> IndexColumns.read(new InMemoryInputFile(reader.readVerified(manifest, f)), 4, 2))
                .hasMessageContaining("vector of 3 floats, the manifest says 4");
        assertThatThrownBy(() -> IndexColumns.read(new InMemoryInputFile(reader.readVerified(manifest, f)), 3, 5))
                .hasMessageContaining("2 rows, manifest says 5");
        List<DuplicateRow> dups = GenerationReader.parseRows(
                reader.readVerified(manifest, manifest.filesOf(Table.DUPLICATES).get(0)), DuplicateRow::fromGroup);
        assertThat(dups).extracting(DuplicateRow::duplicateOf).containsExactly("a");
    }

    @Test
    void writesStandardParquetTypesThatAnyReaderUnderstands() throws IOException {
        ManifestFile f = manifest.filesOf(Table.INDEX).get(0);
        try (ParquetFileReader r = ParquetFileReader.open(HadoopInputFile.fromPath(
                new org.apache.hadoop.fs.Path(generation.resolve(f.path()).toUri()), new Configuration()))) {
            MessageType schema = r.getFooter().getFileMetaData().getSchema();
            assertThat(schema.getType("vector").toString())
                    .isEqualTo(
                            "required group vector (LIST) {\n  repeated group list {\n    required float element;\n  }\n}");
            assertThat(schema.getType("metadata").toString()).contains("(MAP)").contains("repeated group key_value");
            assertThat(schema.getType("ingested_at").toString()).contains("TIMESTAMP(MILLIS,true)");
            assertThat(r.getFooter().getFileMetaData().getKeyValueMetaData())
                    .containsEntry(TableWriter.FOOTER_FORMAT_VERSION, String.valueOf(FormatVersion.CURRENT))
                    .containsEntry(TableWriter.FOOTER_TABLE, "index");
        }
    }

    @Test
    void refusesAFileThatDoesNotMatchItsManifest() throws IOException {
        ManifestFile f = manifest.filesOf(Table.FAILURES).get(0);
        Path file = generation.resolve(f.path());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
        GenerationReader reader = GenerationReader.open(out.toString(), "demo", new Configuration());

        assertThatThrownBy(() -> reader.verify(reader.manifest(7)))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageContaining("SHA-256")
                .hasMessageContaining(f.path());

        Files.write(file, new byte[] {1, 2, 3}, StandardOpenOption.APPEND);
        assertThatThrownBy(() -> reader.verify(reader.manifest(7))).hasMessageContaining("bytes");
    }

    @Test
    void refusesMissingFilesAndIncompleteGenerations() throws IOException {
        GenerationReader reader = GenerationReader.open(out.toString(), "demo", new Configuration());
        Files.delete(
                generation.resolve(manifest.filesOf(Table.DUPLICATES).get(0).path()));

        assertThatThrownBy(() -> reader.verify(reader.manifest(7))).hasMessageContaining("missing");
        Files.createDirectories(out.resolve("demo").resolve(IndexLayout.generationDir(8)));
        assertThat(reader.generations()).containsExactly(7L, 8L);
        assertThat(reader.isComplete(8)).isFalse();
        assertThatThrownBy(() -> reader.manifest(8)).hasMessageContaining("incomplete");
    }
}
