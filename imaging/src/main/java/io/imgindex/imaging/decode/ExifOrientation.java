package io.imgindex.imaging.decode;

/**
 * Reads the EXIF {@code Orientation} tag (0x0112) of a JPEG ({@code APP1 Exif}), PNG ({@code eXIf}) or WebP
 * ({@code EXIF}) file without decoding the image, and applies it to pixels.
 *
 * <p>Values follow the EXIF specification: 1 upright, 2 mirrored, 3 rotated 180°, 4 flipped vertically,
 * 5 transposed, 6 rotated 90° clockwise to be viewed upright, 7 transversed, 8 rotated 90°
 * counter-clockwise. Anything missing, malformed or out of range reads as 1.
 */
final class ExifOrientation {

    static final int UPRIGHT = 1;

    private static final int TAG_ORIENTATION = 0x0112;

    private ExifOrientation() {}

    /** The orientation of an image file, 1 if it has none. */
    static int read(byte[] file, ImageFormat format) {
        int tiff;
        switch (format) {
            case JPEG:
                tiff = jpegExif(file);
                break;
            case PNG:
                tiff = pngExif(file);
                break;
            case WEBP:
                tiff = webpExif(file);
                break;
            default:
                return UPRIGHT;
        }
        return tiff < 0 ? UPRIGHT : tiffOrientation(file, tiff);
    }

    /** Whether the orientation swaps width and height. */
    static boolean swapsAxes(int orientation) {
        return orientation >= 5 && orientation <= 8;
    }

    /**
     * Applies an orientation to packed RGB pixels {@code px} of size {@code w x h}.
     *
     * @return the upright pixels; width and height are swapped when {@link #swapsAxes} says so
     */
    static int[] apply(int[] px, int w, int h, int orientation) {
        if (orientation <= UPRIGHT || orientation > 8) {
            return px;
        }
        boolean swap = swapsAxes(orientation);
        int ow = swap ? h : w;
        // Where stored pixel (x, y) lands upright: tx = ax*x + bx*y + cx, ty = ay*x + by*y + cy.
        int[] m =
                switch (orientation) {
                    case 2 -> new int[] {-1, 0, w - 1, 0, 1, 0}; // mirrored
                    case 3 -> new int[] {-1, 0, w - 1, 0, -1, h - 1}; // rotated 180
                    case 4 -> new int[] {1, 0, 0, 0, -1, h - 1}; // flipped vertically
                    case 5 -> new int[] {0, 1, 0, 1, 0, 0}; // transposed
                    case 6 -> new int[] {0, -1, h - 1, 1, 0, 0}; // rotate 90 clockwise to view
                    case 7 -> new int[] {0, -1, h - 1, -1, 0, w - 1}; // transversed
                    default -> new int[] {0, 1, 0, -1, 0, w - 1}; // 8: rotate 90 counter-clockwise to view
                };
        int[] out = new int[px.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int tx = m[0] * x + m[1] * y + m[2];
                int ty = m[3] * x + m[4] * y + m[5];
                out[ty * ow + tx] = px[y * w + x];
            }
        }
        return out;
    }

    private static int jpegExif(byte[] b) {
        int i = 2;
        while (i + 4 <= b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                return -1;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++; // fill byte
                continue;
            }
            if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2; // markers without a length
                continue;
            }
            if (marker == 0xDA || marker == 0xD9) {
                return -1; // image data starts: no EXIF before it
            }
            int length = u16be(b, i + 2);
            int payload = i + 4;
            if (length < 2 || payload + length - 2 > b.length) {
                return -1;
            }
            if (marker == 0xE1 && length >= 8 && startsWithExifHeader(b, payload)) {
                return payload + 6;
            }
            i = payload + length - 2;
        }
        return -1;
    }

    private static int pngExif(byte[] b) {
        int i = 8;
        while (i + 12 <= b.length) {
            long length = u32be(b, i);
            if (length > b.length - i - 12) {
                return -1;
            }
            if (b[i + 4] == 'e' && b[i + 5] == 'X' && b[i + 6] == 'I' && b[i + 7] == 'f') {
                return i + 8;
            }
            if (b[i + 4] == 'I' && b[i + 5] == 'E' && b[i + 6] == 'N' && b[i + 7] == 'D') {
                return -1;
            }
            i += 12 + (int) length;
        }
        return -1;
    }

    private static int webpExif(byte[] b) {
        int i = 12;
        while (i + 8 <= b.length) {
            long size = u32le(b, i + 4);
            if (size > b.length - i - 8) {
                return -1;
            }
            if (b[i] == 'E' && b[i + 1] == 'X' && b[i + 2] == 'I' && b[i + 3] == 'F') {
                int data = i + 8;
                return startsWithExifHeader(b, data) ? data + 6 : data;
            }
            i += 8 + (int) size + (int) (size & 1);
        }
        return -1;
    }

    private static int tiffOrientation(byte[] b, int tiff) {
        if (tiff + 8 > b.length) {
            return UPRIGHT;
        }
        boolean little;
        if (b[tiff] == 'I' && b[tiff + 1] == 'I') {
            little = true;
        } else if (b[tiff] == 'M' && b[tiff + 1] == 'M') {
            little = false;
        } else {
            return UPRIGHT;
        }
        if (u16(b, tiff + 2, little) != 42) {
            return UPRIGHT;
        }
        long ifd = u32(b, tiff + 4, little);
        if (ifd < 8 || tiff + ifd + 2 > b.length) {
            return UPRIGHT;
        }
        int dir = (int) (tiff + ifd);
        int entries = u16(b, dir, little);
        for (int e = 0; e < entries; e++) {
            int entry = dir + 2 + e * 12;
            if (entry + 12 > b.length) {
                return UPRIGHT;
            }
            if (u16(b, entry, little) == TAG_ORIENTATION) {
                int type = u16(b, entry + 2, little);
                int value = type == 3 ? u16(b, entry + 8, little) : type == 4 ? (int) u32(b, entry + 8, little) : 0;
                return value >= 1 && value <= 8 ? value : UPRIGHT;
            }
        }
        return UPRIGHT;
    }

    private static boolean startsWithExifHeader(byte[] b, int i) {
        return i + 6 <= b.length
                && b[i] == 'E'
                && b[i + 1] == 'x'
                && b[i + 2] == 'i'
                && b[i + 3] == 'f'
                && b[i + 4] == 0
                && b[i + 5] == 0;
    }

    private static int u16(byte[] b, int i, boolean little) {
        return little ? (b[i] & 0xFF) | (b[i + 1] & 0xFF) << 8 : u16be(b, i);
    }

    private static long u32(byte[] b, int i, boolean little) {
        return little ? u32le(b, i) : u32be(b, i);
    }

    private static int u16be(byte[] b, int i) {
        return (b[i] & 0xFF) << 8 | (b[i + 1] & 0xFF);
    }

    private static long u32be(byte[] b, int i) {
        return ((long) (b[i] & 0xFF) << 24) | (b[i + 1] & 0xFF) << 16 | (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
    }

    private static long u32le(byte[] b, int i) {
        return ((long) (b[i + 3] & 0xFF) << 24) | (b[i + 2] & 0xFF) << 16 | (b[i + 1] & 0xFF) << 8 | (b[i] & 0xFF);
    }
}
