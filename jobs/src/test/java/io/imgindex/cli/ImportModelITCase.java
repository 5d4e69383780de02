package io.imgindex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.job.IndexJob;
import io.imgindex.job.IndexJobConfig;
import io.imgindex.job.IndexOptions;
import io.imgindex.testing.TestImages;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code import-model} end to end: a TF.js model from an npm package by path, and an existing SavedModel whose
 * {@code serving_default} takes encoded images, which the job then feeds with the fetched bytes.
 */
class ImportModelITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    static final Path CACHE = Paths.get("target", "model-cache");

    @TempDir
    Path work;

    static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = ImgIndexCli.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(exit).as(err.toString(StandardCharsets.UTF_8)).isZero();
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void convertsATfjsModelFromAnNpmPackagePath() throws Exception {
        Path to = work.resolve("mobilenet-copy");
        String out = run(
                "import-model",
                "--from",
                "npm:nsfwjs@4.4.0/dist/models/mobilenet_v2_mid",
                "--id",
                "mobilenet-copy",
                "--output-node",
                "StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/"
                        + "StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze",
                "--license",
                "MIT",
                "--to",
                to.toString());

        assertThat(out).contains("model mobilenet-copy ready", "1792 dimensions", "224x224 pixels, squash");
        ModelCard card = ModelCard.read(to);
        assertThat(card.signature()).isEqualTo("pixels");
        assertThat(card.normalisation()).contains("0.003921569");
        assertThat(to.resolve("saved_model.pb")).isRegularFile();
    }

    @Test
    void usesASavedModelThatDecodesImagesItself() throws Exception {
        ModelStore.Model mobilenet = new ModelStore(CACHE).resolve("mobilenet-v2-140");
        Path bytesModel = work.resolve("mobilenet-bytes");
        String out = run(
                "import-model",
                "--saved-model",
                mobilenet.dir().toString(),
                "--id",
                "mobilenet-bytes",
                "--license",
                "MIT",
                "--to",
                bytesModel.toString());
        assertThat(out).contains("input encoded images");

        Path list = work.resolve("photos.txt");
        Files.writeString(
                list,
                String.join("\n", "coffee.jpg", "castle.jpg", "cat.png", "zinnias.gif")
                        .replaceAll(
                                "(?m)^",
                                TestImages.sampleData().resolve("images").toUri() + ""));
        Map<String, float[]> bytes = index(list, bytesModel.toString(), "bytes");
        Map<String, float[]> pixels = index(list, mobilenet.dir().toString(), "pixels");

        assertThat(bytes).hasSize(4);
        // Such a SavedModel also works as it is, without a card: its folder name is its id.
        Path bare = work.resolve("bare-bytes-model");
        Files.createDirectories(bare.resolve("variables"));
        Files.copy(bytesModel.resolve("saved_model.pb"), bare.resolve("saved_model.pb"));
        assertThat(index(list, bare.toString(), "bare").keySet()).isEqualTo(bytes.keySet());
        for (String url : pixels.keySet()) {
            // TensorFlow's decoder and resizer against imgindex's: the same picture, nearly the same vector.
            assertThat(dot(bytes.get(url), pixels.get(url))).as(url).isGreaterThan(0.95);
        }
    }

    Map<String, float[]> index(Path list, String model, String name) throws Exception {
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--input", list.toString(), "--allow-file-root",
                            TestImages.sampleData().toString(), "--model", model,
                    "--model-cache", CACHE.toString(), "--output",
                            work.resolve("out").toString(), "--name", name,
                    "--parallelism", "1"
                },
                IndexOptions.ALL);
        Manifest m = IndexJob.submit(IndexJobConfig.from(p.options()), Map.of()).manifest();
        assertThat(m.counts().failed())
                .as(m.counts().failedByReason().toString())
                .isZero();
        List<IndexRow> rows = new ArrayList<>();
        GenerationReader.open(work.resolve("out").toString(), name, new Configuration())
                .readIndex(m, rows::add);
        Map<String, float[]> byUrl = new HashMap<>();
        rows.forEach(r -> byUrl.put(r.url(), r.vector()));
        return byUrl;
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
