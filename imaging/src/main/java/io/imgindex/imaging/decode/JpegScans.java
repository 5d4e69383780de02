package io.imgindex.imaging.decode;

/**
 * Counts the scans (start-of-scan segments) of a JPEG by walking its markers, without decoding. A progressive
 * JPEG decodes in one entropy pass per scan over the whole image, so its scans, not its bytes, say what it costs:
 * a 160 KB file of hundreds of scans takes a core for tens of seconds.
 */
final class JpegScans {

    private JpegScans() {}

    /** The number of SOS segments before the end of the image, or of the bytes; never throws. */
    static int count(byte[] b) {
        int scans = 0;
        int i = 2; // after SOI
        while (i + 3 < b.length) {
            if ((b[i] & 0xFF) != 0xFF) {
                i++; // garbage between segments: look for the next marker
                continue;
            }
            int marker = b[i + 1] & 0xFF;
            if (marker == 0xFF) {
                i++; // fill byte
                continue;
            }
            if (marker == 0xD9) {
                break; // EOI
            }
            if (marker == 0x00 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                i += 2; // markers without a length
                continue;
            }
            int length = (b[i + 2] & 0xFF) << 8 | (b[i + 3] & 0xFF);
            if (length < 2) {
                break;
            }
            i += 2 + length;
            if (marker == 0xDA) {
                scans++;
                i = endOfEntropyData(b, i);
            }
        }
        return scans;
    }

    /** The index of the first marker after a scan's entropy-coded data (0xFF 0x00 and restart markers belong to it). */
    private static int endOfEntropyData(byte[] b, int i) {
        while (i + 1 < b.length) {
            if ((b[i] & 0xFF) == 0xFF) {
                int next = b[i + 1] & 0xFF;
                if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
                    i += 2;
                    continue;
                }
                if (next != 0xFF) {
                    return i;
                }
            }
            i++;
        }
        return b.length;
    }
}
