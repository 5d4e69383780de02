package io.imgindex.testing;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/**
 * Images for tests: the photographs of {@code sample-data/}, and hostile inputs made byte by byte (truncated
 * files, decompression bombs, disguised non-images).
 */
public final class TestImages {

    private TestImages() {}

    /** The repository's {@code sample-data/} folder, found from the module's working directory. */
    public static Path sampleData() {
        for (Path p = Paths.get("").toAbsolutePath(); p != null; p = p.getParent()) {
            Path candidate = p.resolve("sample-data");
            if (Files.isDirectory(candidate.resolve("images"))) {
                return candidate;
            }
        }
        throw new IllegalStateException(
                "sample-data/ not found above " + Paths.get("").toAbsolutePath());
    }

    /** The bytes of {@code sample-data/images/<name>}. */
    public static byte[] sample(String name) {
        try {
            return Files.readAllBytes(sampleData().resolve("images").resolve(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The first {@code fraction} of the bytes. */
    public static byte[] truncated(byte[] bytes, double fraction) {
        return Arrays.copyOf(bytes, (int) (bytes.length * fraction));
    }

    /** A small real image encoded with ImageIO ({@code png}, {@code jpg}, {@code gif}, {@code bmp}). */
    public static byte[] encoded(String format, int w, int h, Color color) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(color);
        g.fillRect(0, 0, w, h);
        g.setColor(Color.WHITE);
        g.fillRect(w / 4, h / 4, w / 2, h / 2);
        g.dispose();
        return write(img, format);
    }

    private static byte[] write(BufferedImage img, String format) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            if (!ImageIO.write(img, format, out)) {
                throw new IllegalArgumentException("no writer for " + format);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /** An image whose left half is {@code left} and right half {@code right}. */
    public static byte[] twoColours(int w, int h, Color left, Color right, String format) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(left);
        g.fillRect(0, 0, w / 2, h);
        g.setColor(right);
        g.fillRect(w / 2, 0, w - w / 2, h);
        g.dispose();
        return write(img, format);
    }

    /**
     * A valid PNG whose header declares {@code w x h} pixels but whose data is a few bytes: a decompression
     * bomb as a decoder sees it before decoding.
     */
    public static byte[] pngBomb(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        ByteBuffer ihdr = ByteBuffer.allocate(13)
                .putInt(w)
                .putInt(h)
                .put((byte) 8)
                .put((byte) 2)
                .put((byte) 0)
                .put((byte) 0)
                .put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /**
     * A complete, valid RGB PNG of {@code w x h} pixels, each row a grey level of its index: compressed row by row,
     * so a 1 x 3,000,000 image is a few KB (the thin images that made the decoder allocate without bound).
     */
    public static byte[] thinPng(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
        chunk(
                out,
                "IHDR",
                ByteBuffer.allocate(13)
                        .putInt(w)
                        .putInt(h)
                        .put((byte) 8)
                        .put((byte) 2)
                        .put((byte) 0)
                        .put((byte) 0)
                        .put((byte) 0)
                        .array());
        java.util.zip.Deflater deflater = new java.util.zip.Deflater(9);
        ByteArrayOutputStream idat = new ByteArrayOutputStream();
        byte[] row = new byte[1 + 3 * w];
        byte[] buf = new byte[1 << 16];
        for (int y = 0; y < h; y++) {
            java.util.Arrays.fill(row, 1, row.length, (byte) (y >> 12));
            deflater.setInput(row);
            while (!deflater.needsInput()) {
                idat.write(buf, 0, deflater.deflate(buf));
            }
        }
        deflater.finish();
        while (!deflater.finished()) {
            idat.write(buf, 0, deflater.deflate(buf));
        }
        deflater.end();
        chunk(out, "IDAT", idat.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A progressive JPEG of the standard script (about ten scans), by the JDK's encoder. */
    public static byte[] progressiveJpeg(int w, int h) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (x * 255 / w) << 16 | (y * 255 / h) << 8 | ((x ^ y) & 0xFF));
            }
        }
        javax.imageio.ImageWriter writer =
                javax.imageio.ImageIO.getImageWritersByFormatName("jpeg").next();
        javax.imageio.ImageWriteParam param = writer.getDefaultWriteParam();
        param.setProgressiveMode(javax.imageio.ImageWriteParam.MODE_DEFAULT);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream ios = javax.imageio.ImageIO.createImageOutputStream(out)) {
            writer.setOutput(ios);
            writer.write(null, new javax.imageio.IIOImage(img, null, null), param);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return out.toByteArray();
    }

    /**
     * {@code jpeg} with its last scan repeated {@code times} more before the end of image: a progressive file of
     * hundreds of scans, each another decoding pass over the picture.
     */
    public static byte[] withRepeatedLastScan(byte[] jpeg, int times) {
        int lastSos = -1;
        for (int i = 0; i + 1 < jpeg.length; i++) {
            if ((jpeg[i] & 0xFF) == 0xFF && (jpeg[i + 1] & 0xFF) == 0xDA) {
                lastSos = i;
            }
        }
        int eoi = jpeg.length - 2;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, eoi);
        for (int k = 0; k < times; k++) {
            out.write(jpeg, lastSos, eoi - lastSos);
        }
        out.write(jpeg, eoi, 2);
        return out.toByteArray();
    }

    /** The start of a baseline JPEG whose frame header declares {@code w x h} pixels. */
    public static byte[] jpegBomb(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD8});
        // SOF0: length 17, precision 8, height, width, 3 components
        out.writeBytes(new byte[] {
            (byte) 0xFF,
            (byte) 0xC0,
            0x00,
            0x11,
            0x08,
            (byte) (h >> 8),
            (byte) h,
            (byte) (w >> 8),
            (byte) w,
            0x03,
            0x01,
            0x22,
            0x00,
            0x02,
            0x11,
            0x01,
            0x03,
            0x11,
            0x01
        });
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xD9});
        return out.toByteArray();
    }

    /** A JPEG with an EXIF APP1 segment carrying the given orientation, inserted after SOI. */
    public static byte[] withExifOrientation(byte[] jpeg, int orientation, boolean bigEndian) {
        ByteBuffer tiff = ByteBuffer.allocate(26)
                .order(bigEndian ? java.nio.ByteOrder.BIG_ENDIAN : java.nio.ByteOrder.LITTLE_ENDIAN);
        tiff.put(bigEndian ? (byte) 'M' : (byte) 'I').put(bigEndian ? (byte) 'M' : (byte) 'I');
        tiff.putShort((short) 42).putInt(8).putShort((short) 1);
        tiff.putShort((short) 0x0112)
                .putShort((short) 3)
                .putInt(1)
                .putShort((short) orientation)
                .putShort((short) 0);
        tiff.putInt(0);
        byte[] payload = new byte[6 + tiff.capacity()];
        System.arraycopy("Exif\0\0".getBytes(StandardCharsets.ISO_8859_1), 0, payload, 0, 6);
        System.arraycopy(tiff.array(), 0, payload, 6, tiff.capacity());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        int len = payload.length + 2;
        out.writeBytes(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (len >> 8), (byte) len});
        out.writeBytes(payload);
        out.write(jpeg, 2, jpeg.length - 2);
        return out.toByteArray();
    }

    /** An HTML error page, the most common non-image at an image URL. */
    public static byte[] html() {
        return "<!DOCTYPE html><html><body><h1>Not found</h1></body></html>".getBytes(StandardCharsets.UTF_8);
    }

    /** The first bytes of a little-endian TIFF: a real image format this project does not decode. */
    public static byte[] tiffHeader() {
        return new byte[] {'I', 'I', 0x2A, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00};
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] t = type.getBytes(StandardCharsets.ISO_8859_1);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
