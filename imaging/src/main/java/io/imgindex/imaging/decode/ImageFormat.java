package io.imgindex.imaging.decode;

import java.nio.charset.StandardCharsets;

/**
 * Image formats told apart by their leading bytes, never by a file name or a {@code Content-Type} header.
 */
enum ImageFormat {
    JPEG("jpeg", true),
    PNG("png", true),
    GIF("gif", true),
    BMP("bmp", true),
    WEBP("webp", true),
    TIFF("tiff", false),
    HEIF("heif", false),
    AVIF("avif", false),
    JPEG2000("jpeg2000", false),
    JPEG_XL("jpegxl", false),
    ICO("ico", false),
    PSD("psd", false),
    SVG("svg", false);

    private final String label;
    private final boolean decodable;

    ImageFormat(String label, boolean decodable) {
        this.label = label;
        this.decodable = decodable;
    }

    /** The name written into the index ({@code format} column). */
    String label() {
        return label;
    }

    /** Whether this build decodes it; the others fail with {@code UNSUPPORTED_FORMAT}. */
    boolean decodable() {
        return decodable;
    }

    /** The format of the bytes, or null if they are no image format known here. */
    static ImageFormat sniff(byte[] b) {
        if (startsWith(b, 0, 0xFF, 0xD8, 0xFF)) {
            return JPEG;
        }
        if (startsWith(b, 0, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
            return PNG;
        }
        if (startsWith(b, 0, 'G', 'I', 'F', '8') && b.length > 5 && (b[4] == '7' || b[4] == '9') && b[5] == 'a') {
            return GIF;
        }
        if (startsWith(b, 0, 'B', 'M') && b.length >= 26) {
            return BMP;
        }
        if (startsWith(b, 0, 'R', 'I', 'F', 'F') && startsWith(b, 8, 'W', 'E', 'B', 'P')) {
            return WEBP;
        }
        if (startsWith(b, 0, 'I', 'I', 0x2A, 0x00) || startsWith(b, 0, 'M', 'M', 0x00, 0x2A)) {
            return TIFF;
        }
        if (startsWith(b, 4, 'f', 't', 'y', 'p')) {
            if (startsWith(b, 8, 'a', 'v', 'i', 'f') || startsWith(b, 8, 'a', 'v', 'i', 's')) {
                return AVIF;
            }
            if (startsWith(b, 8, 'h', 'e', 'i', 'c')
                    || startsWith(b, 8, 'h', 'e', 'i', 'x')
                    || startsWith(b, 8, 'm', 'i', 'f', '1')
                    || startsWith(b, 8, 'h', 'e', 'v', 'c')) {
                return HEIF;
            }
        }
        if (startsWith(b, 0, 0x00, 0x00, 0x00, 0x0C, 'j', 'P', ' ', ' ') || startsWith(b, 0, 0xFF, 0x4F, 0xFF, 0x51)) {
            return JPEG2000;
        }
        if (startsWith(b, 0, 0xFF, 0x0A) || startsWith(b, 0, 0x00, 0x00, 0x00, 0x0C, 'J', 'X', 'L', ' ')) {
            return JPEG_XL;
        }
        if (startsWith(b, 0, 0x00, 0x00, 0x01, 0x00)) {
            return ICO;
        }
        if (startsWith(b, 0, '8', 'B', 'P', 'S')) {
            return PSD;
        }
        if (looksLikeSvg(b)) {
            return SVG;
        }
        return null;
    }

    private static boolean looksLikeSvg(byte[] b) {
        int n = Math.min(b.length, 1024);
        String head = new String(b, 0, n, StandardCharsets.ISO_8859_1).stripLeading();
        return (head.startsWith("<?xml") || head.startsWith("<svg") || head.startsWith("<!DOCTYPE svg"))
                && head.contains("<svg");
    }

    private static boolean startsWith(byte[] b, int offset, int... expected) {
        if (b.length < offset + expected.length) {
            return false;
        }
        for (int i = 0; i < expected.length; i++) {
            if ((b[offset + i] & 0xFF) != expected[i]) {
                return false;
            }
        }
        return true;
    }
}
