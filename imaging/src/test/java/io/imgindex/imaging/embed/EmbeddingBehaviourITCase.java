package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.decode.ImageDecoder;
import io.imgindex.testing.TestImages;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.junit.jupiter.api.Test;

/**
 * The default model on the photographs of {@code sample-data/} and copies of them. Two properties, and the
 * distributions behind them printed:
 *
 * <ul>
 *   <li>every copy, even a 25% thumbnail, is nearer to its own original than to any other photo (rank 1);
 *   <li>copies made by one change that keeps at least the model's input resolution (halved but not below
 *       224 px, JPEG quality 30, cropped 10%) score higher than any two different photos. The thumbnail and the
 *       three changes at once are reported, not held to this: they fall below the closest different pairs.
 * </ul>
 */
class EmbeddingBehaviourITCase {

    record Transform(String name, UnaryOperator<BufferedImage> image, float jpegQuality, boolean separated) {}

    static final List<Transform> COPIES = List.of(
            new Transform("halved (not below 224 px)", i -> scaled(i, Math.max(0.5, 224.0 / shortSide(i))), 0.9f, true),
            new Transform("JPEG quality 30", i -> i, 0.3f, true),
            new Transform("cropped 10%", i -> cropped(i, 0.10), 0.9f, true),
            new Transform(
                    "halved, cropped 10%, JPEG 50",
                    i -> cropped(scaled(i, Math.max(0.5, 224.0 / shortSide(i))), 0.10), 0.5f, false),
            new Transform("quartered (thumbnail)", i -> scaled(i, 0.25), 0.9f, false));

    @Test
    void copiesRankTheirOriginalFirstAndScoreAboveDifferentPhotos() throws IOException {
        ModelStore.Model model = new ModelStore(Paths.get("target", "model-cache")).resolve(ModelCatalog.DEFAULT);
        ModelCard card = model.card();
        ImageDecoder decoder = new ImageDecoder(DecodeOptions.pixels(
                50_000_000, card.input().width(), card.input().height(), false));
        List<BufferedImage> photos = new ArrayList<>();
        List<String> names = new ArrayList<>();
        try (var files = Files.list(TestImages.sampleData().resolve("images"))) {
            for (Path p : files.sorted().toList()) {
                String n = p.getFileName().toString();
                if (n.contains("copy")) {
                    continue; // the byte-identical copy of coffee.jpg is not a different photo
                }
                photos.add(upright(Files.readAllBytes(p)));
                names.add(n);
            }
        }
        List<Double> different = new ArrayList<>();
        Map<String, List<Double>> copies = new LinkedHashMap<>();
        List<String> misranked = new ArrayList<>();
        try (EmbeddingModel m = EmbeddingModel.load(model.dir(), card, 0, 0)) {
            float[][] originals = new float[photos.size()][];
            for (int i = 0; i < photos.size(); i++) {
                originals[i] = m.embed(List.of(pixels(decoder, photos.get(i), 0.95f)))[0];
            }
            for (int i = 0; i < originals.length; i++) {
                for (int j = i + 1; j < originals.length; j++) {
                    different.add(dot(originals[i], originals[j]));
                }
            }
            for (Transform t : COPIES) {
                List<Double> scores = copies.computeIfAbsent(t.name(), k -> new ArrayList<>());
                for (int i = 0; i < photos.size(); i++) {
                    float[] copy =
                            m.embed(List.of(pixels(decoder, t.image().apply(photos.get(i)), t.jpegQuality())))[0];
                    double own = dot(copy, originals[i]);
                    scores.add(own);
                    for (int j = 0; j < originals.length; j++) {
                        if (j != i && dot(copy, originals[j]) >= own) {
                            misranked.add(names.get(i) + " " + t.name() + " is nearer to " + names.get(j));
                        }
                    }
                }
            }
        }
        double closestDifferent = different.stream().mapToDouble(d -> d).max().orElseThrow();
        System.out.println("two different photos:                  " + describe(different));
        copies.forEach(
                (name, scores) -> System.out.printf("copy vs its original, %-28s %s%n", name + ":", describe(scores)));
        assertThat(misranked).isEmpty();
        for (Transform t : COPIES) {
            if (t.separated()) {
                assertThat(copies.get(t.name()).stream()
                                .mapToDouble(d -> d)
                                .min()
                                .orElseThrow())
                        .as(t.name() + ": the least similar copy against the most similar different pair")
                        .isGreaterThan(closestDifferent);
            }
        }
    }

    static int shortSide(BufferedImage i) {
        return Math.min(i.getWidth(), i.getHeight());
    }

    static String describe(List<Double> scores) {
        double[] s = scores.stream().mapToDouble(d -> d).sorted().toArray();
        return String.format(
                "n=%d min %.3f p10 %.3f median %.3f p90 %.3f max %.3f",
                s.length,
                s[0],
                s[(int) (0.1 * (s.length - 1))],
                s[s.length / 2],
                s[(int) (0.9 * (s.length - 1))],
                s[s.length - 1]);
    }

    static BufferedImage upright(byte[] file) throws IOException {
        // Decode at full size with the pipeline's decoder settings, then rebuild an image from its pixels.
        ImageDecoder full = new ImageDecoder(DecodeOptions.pixels(50_000_000, 1, 1, false));
        DecodedImage probe = full.decode(file);
        ImageDecoder same = new ImageDecoder(DecodeOptions.pixels(50_000_000, probe.width(), probe.height(), false));
        byte[] rgb = same.decode(file).pixels();
        BufferedImage img = new BufferedImage(probe.width(), probe.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < probe.height(); y++) {
            for (int x = 0; x < probe.width(); x++) {
                int i = (y * probe.width() + x) * 3;
                img.setRGB(x, y, (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF));
            }
        }
        return img;
    }

    /** Encodes as JPEG at the quality and decodes as the pipeline does. */
    static byte[] pixels(ImageDecoder decoder, BufferedImage img, float quality) throws IOException {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter w = writers.next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (MemoryCacheImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            w.setOutput(out);
            ImageWriteParam p = w.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            w.write(null, new IIOImage(img, null, null), p);
        } finally {
            w.dispose();
        }
        DecodedImage d = decoder.decode(bytes.toByteArray());
        assertThat(d.isOk()).as(d.message()).isTrue();
        return d.pixels();
    }

    static BufferedImage scaled(BufferedImage src, double f) {
        if (f >= 1) {
            return src;
        }
        BufferedImage out =
                new BufferedImage((int) (src.getWidth() * f), (int) (src.getHeight() * f), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, out.getWidth(), out.getHeight(), null);
        g.dispose();
        return out;
    }

    static BufferedImage cropped(BufferedImage src, double f) {
        int dx = (int) (src.getWidth() * f / 2);
        int dy = (int) (src.getHeight() * f / 2);
        return src.getSubimage(dx, dy, src.getWidth() - 2 * dx, src.getHeight() - 2 * dy);
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
