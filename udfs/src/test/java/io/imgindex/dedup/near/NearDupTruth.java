package io.imgindex.dedup.near;

import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/**
 * Builds the near-duplicate ground truth from the sample photos: for each original, copies resized (50%, 25%),
 * re-encoded as JPEG at quality 20, cropped (10% and 20% off each side's length, centred), rotated 4 degrees on the
 * same canvas, mirrored, brightened by 30%, with a text overlay, and converted PNG↔JPEG. Writes the originals and
 * the copies into one folder, {@code items.csv} (id, url: what the job indexes) and {@code truth.csv} (id,
 * original, transform; an original names itself with transform {@code original}).
 *
 * <p>Extra originals (e.g. several face crops of the same person: similar, but not copies) can be added as hard
 * negatives; they get no copies. Deterministic: the same inputs give the same bytes.
 *
 * <p>Run: {@code benchmarks/run NearDupTruth OUT_DIR} (from sample-data/images and sample-data/faces/crops).
 */
public final class NearDupTruth {

    /** The transforms, in the order of the CSV. */
    public static final List<String> TRANSFORMS = List.of(
            "resize50",
            "resize25",
            "jpeg_q20",
            "crop10",
            "crop20",
            "rotate4",
            "mirror",
            "brighten30",
            "text_overlay",
            "format_swap");

    /** One row of {@code truth.csv}. */
    public record Row(String id, String original, String transform, Path file) {}

    private NearDupTruth() {}

    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "out/near-dup-truth");
        List<Row> rows = build(
                List.of(Path.of("sample-data/images")), List.of(Path.of("sample-data/faces/crops")), TRANSFORMS, out);
        System.out.printf(
                "wrote %d images (%d originals) and truth.csv, items.csv into %s%n",
                rows.size(),
                rows.stream().filter(r -> r.transform().equals("original")).count(),
                out);
    }

    /**
     * @param originals folders whose images get copies
     * @param negatives folders whose images are added as they are (hard negatives)
     * @param transforms which copies to make
     */
    public static List<Row> build(List<Path> originals, List<Path> negatives, List<String> transforms, Path out)
            throws IOException {
        Files.createDirectories(out);
        List<Row> rows = new ArrayList<>();
        for (Path dir : originals) {
            for (Path f : images(dir)) {
                BufferedImage img = read(f);
                String id = stem(f);
                Path copy = out.resolve(f.getFileName());
                Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                rows.add(new Row(id, id, "original", copy));
                boolean png = f.toString().toLowerCase(Locale.ROOT).endsWith(".png");
                for (String t : transforms) {
                    String cid = id + "~" + t;
                    Path file;
                    switch (t) {
                        case "jpeg_q20" -> file = jpeg(img, 0.2f, out.resolve(cid + ".jpg"));
                        case "format_swap" -> file =
                                png ? jpeg(img, 0.9f, out.resolve(cid + ".jpg")) : png(img, out.resolve(cid + ".png"));
                        default -> file = jpeg(transform(img, t), 0.9f, out.resolve(cid + ".jpg"));
                    }
                    rows.add(new Row(cid, id, t, file));
                }
            }
        }
        for (Path dir : negatives) {
            for (Path f : images(dir)) {
                String id = "neg-" + stem(f);
                Path copy = out.resolve(id + f.getFileName().toString().substring(stem(f).length()));
                Files.copy(f, copy, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                rows.add(new Row(id, id, "original", copy));
            }
        }
        StringBuilder truth = new StringBuilder("id,original,transform\n");
        StringBuilder items = new StringBuilder("id,url\n");
        for (Row r : rows) {
            truth.append(r.id())
                    .append(',')
                    .append(r.original())
                    .append(',')
                    .append(r.transform())
                    .append('\n');
            items.append(r.id()).append(',').append(r.file().getFileName()).append('\n');
        }
        Files.writeString(out.resolve("truth.csv"), truth, StandardCharsets.UTF_8);
        Files.writeString(out.resolve("items.csv"), items, StandardCharsets.UTF_8);
        return rows;
    }

    static BufferedImage transform(BufferedImage src, String t) {
        int w = src.getWidth();
        int h = src.getHeight();
        return switch (t) {
            case "resize50" -> scaled(src, Math.max(1, w / 2), Math.max(1, h / 2));
            case "resize25" -> scaled(src, Math.max(1, w / 4), Math.max(1, h / 4));
            case "crop10" -> crop(src, 0.10);
            case "crop20" -> crop(src, 0.20);
            case "rotate4" -> rotated(src, 4);
            case "mirror" -> draw(w, h, g -> g.drawImage(src, w, 0, -w, h, null));
            case "brighten30" -> brightened(src, 1.3f);
            case "text_overlay" -> draw(w, h, g -> {
                g.drawImage(src, 0, 0, null);
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.6f));
                g.setColor(Color.WHITE);
                int size = Math.max(10, h / 9);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, size));
                g.drawString("© imgindex sample", w / 20, h - h / 10);
            });
            default -> throw new IllegalArgumentException("unknown transform " + t);
        };
    }

    private interface Painter {
        void paint(Graphics2D g);
    }

    private static BufferedImage draw(int w, int h, Painter p) {
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BICUBIC);
            g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
            p.paint(g);
        } finally {
            g.dispose();
        }
        return out;
    }

    private static BufferedImage scaled(BufferedImage src, int w, int h) {
        return draw(w, h, g -> g.drawImage(src, 0, 0, w, h, null));
    }

    private static BufferedImage crop(BufferedImage src, double off) {
        int w = src.getWidth();
        int h = src.getHeight();
        int cw = (int) Math.round(w * (1 - off));
        int ch = (int) Math.round(h * (1 - off));
        int x = (w - cw) / 2;
        int y = (h - ch) / 2;
        return draw(cw, ch, g -> g.drawImage(src, -x, -y, null));
    }

    private static BufferedImage rotated(BufferedImage src, double degrees) {
        int w = src.getWidth();
        int h = src.getHeight();
        return draw(w, h, g -> {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, w, h);
            g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
            g.drawImage(src, AffineTransform.getRotateInstance(Math.toRadians(degrees), w / 2.0, h / 2.0), null);
        });
    }

    private static BufferedImage brightened(BufferedImage src, float factor) {
        int w = src.getWidth();
        int h = src.getHeight();
        BufferedImage out = draw(w, h, g -> g.drawImage(src, 0, 0, null));
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int rgb = out.getRGB(x, y);
                int r = Math.min(255, Math.round(((rgb >> 16) & 0xff) * factor));
                int gr = Math.min(255, Math.round(((rgb >> 8) & 0xff) * factor));
                int b = Math.min(255, Math.round((rgb & 0xff) * factor));
                out.setRGB(x, y, (r << 16) | (gr << 8) | b);
            }
        }
        return out;
    }

    private static Path jpeg(BufferedImage img, float quality, Path file) throws IOException {
        BufferedImage rgb = img.getType() == BufferedImage.TYPE_INT_RGB
                ? img
                : draw(img.getWidth(), img.getHeight(), g -> g.drawImage(img, 0, 0, null));
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        ImageWriter writer = writers.next();
        try (OutputStream os = Files.newOutputStream(file);
                ImageOutputStream ios = ImageIO.createImageOutputStream(os)) {
            writer.setOutput(ios);
            ImageWriteParam p = writer.getDefaultWriteParam();
            p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            p.setCompressionQuality(quality);
            writer.write(null, new IIOImage(rgb, null, null), p);
        } finally {
            writer.dispose();
        }
        return file;
    }

    private static Path png(BufferedImage img, Path file) throws IOException {
        if (!ImageIO.write(img, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
        return file;
    }

    private static BufferedImage read(Path f) throws IOException {
        return io.imgindex.imaging.decode.UprightImages.read(f);
    }

    private static List<Path> images(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().matches("(?i).+\\.(jpe?g|png|gif|bmp|webp)"))
                    .filter(p -> !p.getFileName().toString().startsWith("coffee-copy")) // an exact copy already
                    .sorted()
                    .toList();
        }
    }

    private static String stem(Path f) {
        String n = f.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? n : n.substring(0, dot);
    }
}
