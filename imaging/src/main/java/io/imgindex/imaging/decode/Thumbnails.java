package io.imgindex.imaging.decode;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * Small JPEGs of upright images for result grids: the longest side {@code size} pixels (never enlarged), the
 * aspect ratio kept, area-averaged as the model's input is, JPEG quality {@value #QUALITY}: 3 to 8 KB at 160
 * pixels for photographs. JPEG because the JDK writes it (no WebP writer is on Maven Central for Java), and every
 * browser shows it. Thread-safe.
 */
final class Thumbnails {

    /** JPEG quality: small files, no visible blocks at thumbnail size. */
    static final float QUALITY = 0.8f;

    private Thumbnails() {}

    /**
     * @param px the decoded, upright pixels ({@code 0xRRGGBB}), possibly subsampled by the decoder
     * @param pixelAspect the width of one of those pixels over its height
     * @param size the longest side wanted
     * @param fullLongestSide the longest side of the image itself: a thumbnail is never larger
     */
    static byte[] jpeg(int[] px, int w, int h, double pixelAspect, int size, int fullLongestSide) {
        double shownWidth = w * pixelAspect;
        int longest = Math.min(size, fullLongestSide);
        int tw;
        int th;
        if (shownWidth >= h) {
            tw = longest;
            th = (int) Math.max(1, Math.round(longest * h / shownWidth));
        } else {
            th = longest;
            tw = (int) Math.max(1, Math.round(longest * shownWidth / h));
        }
        byte[] rgb = Resizer.resize(px, w, h, pixelAspect, tw, th, Resizer.Mode.SQUASH);
        BufferedImage img = new BufferedImage(tw, th, BufferedImage.TYPE_3BYTE_BGR);
        byte[] bgr = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
        for (int i = 0; i < rgb.length; i += 3) {
            bgr[i] = rgb[i + 2];
            bgr[i + 1] = rgb[i + 1];
            bgr[i + 2] = rgb[i];
        }
        return encode(img);
    }

    private static byte[] encode(BufferedImage img) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName("jpeg");
        if (!writers.hasNext()) {
            throw new IllegalStateException("no JPEG writer in this JVM");
        }
        ImageWriter writer = writers.next();
        ByteArrayOutputStream out = new ByteArrayOutputStream(8192);
        try (MemoryCacheImageOutputStream stream = new MemoryCacheImageOutputStream(out)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(QUALITY);
            writer.setOutput(stream);
            writer.write(null, new IIOImage(img, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException("writing a thumbnail in memory", e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }
}
