package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.ImageDecoder;
import io.imgindex.testing.TestImages;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThumbnailModelTest {

    @TempDir
    static Path dir;

    static EmbeddingModel model;
    static ImageDecoder decoder = new ImageDecoder(DecodeOptions.pixels(50_000_000, 32, 32, false));

    @BeforeAll
    static void export() throws IOException {
        ThumbnailModel.export(dir.resolve("thumb"));
        model = EmbeddingModel.load(dir.resolve("thumb"), ModelCard.read(dir.resolve("thumb")), 1, 1);
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void exportsASavedModelWithItsCard() throws IOException {
        assertThat(dir.resolve("thumb/saved_model.pb")).isRegularFile();
        ModelCard card = ModelCard.read(dir.resolve("thumb"));
        assertThat(card).isEqualTo(ThumbnailModel.card());
        assertThat(card.info().dimension()).isEqualTo(128);
    }

    @Test
    void exportIsDeterministic() throws IOException {
        ThumbnailModel.export(dir.resolve("again"));
        try (EmbeddingModel again = EmbeddingModel.load(dir.resolve("again"), ThumbnailModel.card(), 1, 1)) {
            byte[] px = pixels(TestImages.sample("coffee.jpg"));
            assertThat(again.embed(List.of(px))[0]).containsExactly(model.embed(List.of(px))[0]);
        }
    }

    @Test
    void embedsABatchIntoUnitVectors() {
        List<byte[]> batch = new ArrayList<>();
        for (String name : List.of("coffee.jpg", "cat.png", "rocket.webp", "zinnias.gif", "rabbit.bmp")) {
            batch.add(pixels(TestImages.sample(name)));
        }
        float[][] vectors = model.embed(batch);

        assertThat(vectors).hasNumberOfRows(5);
        for (float[] v : vectors) {
            assertThat(v).hasSize(128);
            assertThat(dot(v, v)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
        }
        // Batching does not change a result beyond rounding. TensorFlow's CPU kernels (Eigen, and oneDNN where
        // it is on) block a matrix product differently for 1 row and for 5, so the sums run in another order and
        // the last bits differ by processor (seen: the 8th digit on an AMD EPYC). A 192-term float32 dot product
        // of this unit-norm projection moves by at most ~192 x 6e-8 = 1.2e-5 when reordered; 3e-5 allows that,
        // while a real batching bug (rows mixed up, padding leaking in) moves components by ~0.1.
        assertThat(model.embed(List.of(batch.get(2)))[0])
                .containsExactly(vectors[2], org.assertj.core.data.Offset.offset(3e-5f));
    }

    @Test
    void aResizedReencodedCopyIsCloserThanAnyOtherPhoto() throws IOException {
        List<String> names = new ArrayList<>();
        try (var files = Files.list(TestImages.sampleData().resolve("images"))) {
            // The copy is made by ImageIO, which ignores EXIF orientation, so the one rotated photo is left out.
            files.map(p -> p.getFileName().toString())
                    .filter(n -> !n.contains("copy") && !n.equals("mountain-path.jpg"))
                    .sorted()
                    .forEach(names::add);
        }
        List<float[]> originals = new ArrayList<>();
        for (String n : names) {
            originals.add(model.embed(List.of(pixels(TestImages.sample(n))))[0]);
        }
        double worstCopy = 1;
        for (int i = 0; i < names.size(); i++) {
            float[] copy = model.embed(List.of(pixels(halfSizeJpeg(TestImages.sample(names.get(i))))))[0];
            double self = dot(copy, originals.get(i));
            worstCopy = Math.min(worstCopy, self);
            for (int j = 0; j < names.size(); j++) {
                if (j != i) {
                    assertThat(dot(copy, originals.get(j)))
                            .as(names.get(i) + " vs " + names.get(j))
                            .isLessThan(self);
                }
            }
        }
        assertThat(worstCopy).isGreaterThan(0.95);
    }

    @Test
    void refusesAModelThatDoesNotMatchItsCard() {
        ModelCard wrong = new ModelCard(
                "x",
                128,
                "cosine",
                "serving_default",
                ModelCard.Input.pixels("images", 32, 32, "squash", 1, 0),
                "embedding",
                "test",
                "none",
                null);
        assertThatThrownBy(() -> EmbeddingModel.load(dir.resolve("thumb"), wrong, 1, 1))
                .hasMessageContaining("no input 'images'");
    }

    private static byte[] pixels(byte[] image) {
        return decoder.decode(image).pixels();
    }

    private static byte[] halfSizeJpeg(byte[] image) throws IOException {
        BufferedImage src = ImageIO.read(new ByteArrayInputStream(image));
        BufferedImage half = new BufferedImage(src.getWidth() / 2, src.getHeight() / 2, BufferedImage.TYPE_INT_RGB);
        var g = half.createGraphics();
        g.setRenderingHint(
                java.awt.RenderingHints.KEY_INTERPOLATION, java.awt.RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, half.getWidth(), half.getHeight(), null);
        g.dispose();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(half, "jpg", out);
        return out.toByteArray();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
