package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.Table;
import io.imgindex.testing.FlinkS3;
import io.imgindex.testing.S3TestServer;
import io.imgindex.testing.TestImages;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.jclouds.blobstore.BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The batch job reading its URL list and images from S3 and writing the generation to S3, through Flink's S3
 * plugin against an in-process S3 server; read back with plain parquet-hadoop over Hadoop's S3A.
 */
class S3IndexJobITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    static S3TestServer s3;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3TestServer("photos");
        FlinkS3.initialize(s3.flinkSettings());
        BlobStore store = s3.store();
        for (String name : List.of("coffee.jpg", "cat.png", "rocket.webp", "castle.jpg")) {
            put(store, "lists/images/" + name, TestImages.sample(name));
        }
        put(store, "lists/images/coffee-copy.jpg", TestImages.sample("coffee.jpg"));
        put(store, "lists/images/notes.jpg", "just text".getBytes(StandardCharsets.UTF_8));
        String list = "# images next to the list, by relative reference\n"
                + "{\"id\":\"coffee\",\"url\":\"images/coffee.jpg\",\"price\":3.5}\n"
                + "{\"id\":\"cat\",\"url\":\"images/cat.png\"}\n"
                + "{\"id\":\"rocket\",\"url\":\"images/rocket.webp\"}\n"
                + "{\"id\":\"castle\",\"url\":\"" + s3.uri("lists/images/castle.jpg") + "\"}\n"
                + "{\"id\":\"copy\",\"url\":\"images/coffee-copy.jpg\"}\n"
                + "{\"id\":\"notes\",\"url\":\"images/notes.jpg\"}\n"
                + "{\"id\":\"gone\",\"url\":\"images/gone.jpg\"}\n";
        put(store, "lists/photos.jsonl", list.getBytes(StandardCharsets.UTF_8));
    }

    static void put(BlobStore store, String key, byte[] bytes) {
        store.putBlob(
                s3.bucket(),
                store.blobBuilder(key)
                        .payload(bytes)
                        .contentLength(bytes.length)
                        .build());
    }

    @AfterAll
    static void stop() throws Exception {
        FlinkS3.reset();
        s3.close();
    }

    @Test
    void indexesFromS3IntoS3() throws Exception {
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--model",
                    "imgindex-thumb-v1",
                    "--model-cache",
                    "target/model-cache",
                    "--input",
                    s3.uri("lists/photos.jsonl"),
                    "--output",
                    s3.uri("indexes"),
                    "--name",
                    "catalogue",
                    "--shards",
                    "2",
                    "--parallelism",
                    "2"
                },
                IndexOptions.ALL);
        IndexJob.Result result = IndexJob.submit(IndexJobConfig.from(p.options()), s3.flinkSettings());

        Manifest m = result.manifest();
        assertThat(result.manifestPath()).isEqualTo(s3.uri("indexes/catalogue/generation=1/_manifest.json"));
        assertThat(m.counts().read()).isEqualTo(7);
        assertThat(m.counts().skippedLines()).isEqualTo(1);
        assertThat(m.counts().indexed()).isEqualTo(4);
        assertThat(m.counts().duplicates()).isEqualTo(1);
        assertThat(m.counts().failedByReason()).isEqualTo(Map.of("NOT_AN_IMAGE", 1L, "NOT_FOUND", 1L));
        assertThat(m.metadataColumns()).isEqualTo(Map.of("price", "number"));

        // Read back with Hadoop's S3A and parquet-hadoop only.
        GenerationReader reader = GenerationReader.open(s3.uri("indexes"), "catalogue", s3.hadoopConf());
        assertThat(reader.latest()).get().satisfies(l -> assertThat(l.generation())
                .isEqualTo(1));
        Manifest read = reader.manifest(1);
        assertThat(read).isEqualTo(m);
        reader.verify(read);

        Map<String, IndexRow> byId = new HashMap<>();
        for (ManifestFile f : read.filesOf(Table.INDEX)) {
            Path file = reader.dataPath(1, f);
            try (ParquetReader<Group> parquet = ParquetReader.builder(new GroupReadSupport(), file)
                    .withConf(s3.hadoopConf())
                    .build()) {
                for (Group g; (g = parquet.read()) != null; ) {
                    IndexRow row = IndexRow.fromGroup(g);
                    byId.put(row.id(), row);
                }
            }
        }
        assertThat(byId.keySet()).containsExactlyInAnyOrder("coffee", "cat", "rocket", "castle");
        assertThat(byId.get("coffee").url()).isEqualTo(s3.uri("lists/images/coffee.jpg"));
        assertThat(byId.get("coffee").metadata()).containsEntry("price", "3.5");
        assertThat(byId.get("rocket").format()).isEqualTo("webp");
        List<FailureRow> failures = new ArrayList<>();
        reader.readFailures(read, failures::add);
        assertThat(failures).extracting(FailureRow::id).containsExactlyInAnyOrder("notes", "gone");

        // On an object store files are written under their final names: nothing else is left behind.
        org.apache.hadoop.fs.FileSystem fs = reader.root().getFileSystem(s3.hadoopConf());
        List<String> names = new ArrayList<>();
        var it = fs.listFiles(new Path(reader.root(), IndexLayout.generationDir(1)), true);
        while (it.hasNext()) {
            FileStatus s = it.next();
            names.add(s.getPath().getName());
        }
        assertThat(names).filteredOn(n -> n.endsWith(".inprogress")).isEmpty();
        assertThat(names).contains(IndexLayout.MANIFEST);
        assertThat(names.stream().filter(IndexLayout::isDataFile).count())
                .isEqualTo(read.files().stream().filter(f -> !f.shared()).count());
        List<String> segmentFiles = new ArrayList<>();
        var segments = fs.listFiles(new Path(reader.root(), IndexLayout.SEGMENTS), true);
        while (segments.hasNext()) {
            segmentFiles.add(segments.next().getPath().getName());
        }
        assertThat(segmentFiles).filteredOn(n -> n.endsWith(".inprogress")).isEmpty();
        assertThat(segmentFiles)
                .hasSize((int) read.files().stream().filter(f -> f.shared()).count());

        // The command line reads it back with the job's own s3.* settings.
        java.io.ByteArrayOutputStream stdout = new java.io.ByteArrayOutputStream();
        List<String> args = new ArrayList<>(
                List.of("inspect", "--index", s3.uri("indexes"), "--name", "catalogue", "--similar", "coffee"));
        s3.flinkSettings().forEach((k, v) -> args.addAll(List.of("--conf", k + "=" + v)));
        int exit = io.imgindex.cli.ImgIndexCli.run(
                args.toArray(new String[0]), new java.io.PrintStream(stdout, true, StandardCharsets.UTF_8), System.err);
        assertThat(exit).isZero();
        assertThat(stdout.toString(StandardCharsets.UTF_8))
                .contains("verified " + read.files().size() + " files")
                .contains("read 7 = indexed 4 + duplicates 1 (exact 1) + failed 2 (skipped lines 1)")
                .contains("nearest neighbours of 'coffee'");
    }
}
