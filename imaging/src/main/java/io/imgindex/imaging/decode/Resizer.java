package io.imgindex.imaging.decode;

/**
 * Resizes packed RGB pixels to a model's input size: exact area averaging where a dimension shrinks (every
 * source pixel counts by the area it covers, so no aliasing), linear interpolation where it grows. The two
 * axes are resampled one after the other. Stateless and thread-safe.
 */
final class Resizer {

    /** How the source rectangle maps onto the target. */
    enum Mode {
        /** The whole image, stretched to the target's aspect ratio. */
        SQUASH,
        /** The largest centred region of the target's aspect ratio. */
        CENTER_CROP
    }

    private Resizer() {}

    /**
     * @param px packed {@code 0xRRGGBB} pixels, row-major
     * @return {@code tw * th * 3} bytes, RGB interleaved, row-major
     */
    static byte[] resize(int[] px, int w, int h, int tw, int th, Mode mode) {
        return resize(px, w, h, 1, tw, th, mode);
    }

    /**
     * @param pixelAspect the width of one source pixel over its height: not 1 when the decoder subsampled the
     *     axes by different steps, so that a centre crop keeps the picture's real proportions
     */
    static byte[] resize(int[] px, int w, int h, double pixelAspect, int tw, int th, Mode mode) {
        double x0 = 0;
        double y0 = 0;
        double sw = w;
        double sh = h;
        if (mode == Mode.CENTER_CROP) {
            double targetAspect = (double) tw / th;
            double shownWidth = w * pixelAspect;
            if (shownWidth / h > targetAspect) {
                sw = h * targetAspect / pixelAspect;
                x0 = (w - sw) / 2;
            } else {
                sh = shownWidth / targetAspect;
                y0 = (h - sh) / 2;
            }
        }
        // Horizontal pass: h rows of tw pixels, three float channels. The decoder bounds h; the product is checked
        // anyway, so an unexpected size fails this image instead of allocating a wrapped-around size.
        Weights wx = Weights.of(w, x0, sw, tw);
        float[] rows = new float[Math.multiplyExact(Math.multiplyExact(h, tw), 3)];
        for (int y = 0; y < h; y++) {
            int src = y * w;
            int dst = y * tw * 3;
            for (int x = 0; x < tw; x++) {
                float r = 0;
                float g = 0;
                float b = 0;
                for (int k = wx.start[x], j = 0; j < wx.count[x]; k++, j++) {
                    float weight = wx.weight[x][j];
                    int p = px[src + k];
                    r += weight * ((p >> 16) & 0xFF);
                    g += weight * ((p >> 8) & 0xFF);
                    b += weight * (p & 0xFF);
                }
                rows[dst + x * 3] = r;
                rows[dst + x * 3 + 1] = g;
                rows[dst + x * 3 + 2] = b;
            }
        }
        // Vertical pass.
        Weights wy = Weights.of(h, y0, sh, th);
        byte[] out = new byte[tw * th * 3];
        for (int y = 0; y < th; y++) {
            for (int x = 0; x < tw * 3; x++) {
                float v = 0;
                for (int k = wy.start[y], j = 0; j < wy.count[y]; k++, j++) {
                    v += wy.weight[y][j] * rows[k * tw * 3 + x];
                }
                out[y * tw * 3 + x] = (byte) Math.max(0, Math.min(255, Math.round(v)));
            }
        }
        return out;
    }

    /** For each output index: the first source index, how many contribute, and their weights (summing to 1). */
    private static final class Weights {
        final int[] start;
        final int[] count;
        final float[][] weight;

        private Weights(int n) {
            start = new int[n];
            count = new int[n];
            weight = new float[n][];
        }

        /** Maps source span {@code [offset, offset + span)} of a line of {@code length} onto {@code n} outputs. */
        static Weights of(int length, double offset, double span, int n) {
            Weights w = new Weights(n);
            double scale = span / n;
            for (int i = 0; i < n; i++) {
                if (scale >= 1) {
                    // Area average of [a, b): whole pixels inside, partial ones at the ends.
                    double a = offset + i * scale;
                    double b = a + scale;
                    int first = (int) Math.floor(a);
                    int last = Math.min(length - 1, (int) Math.ceil(b) - 1);
                    w.start[i] = first;
                    w.count[i] = last - first + 1;
                    w.weight[i] = new float[w.count[i]];
                    for (int k = first; k <= last; k++) {
                        double cover = Math.min(b, k + 1) - Math.max(a, k);
                        w.weight[i][k - first] = (float) (Math.max(0, cover) / scale);
                    }
                } else {
                    // Linear interpolation between the two nearest source centres.
                    double centre = offset + (i + 0.5) * scale - 0.5;
                    int left = (int) Math.floor(centre);
                    double frac = centre - left;
                    int l = Math.max(0, Math.min(length - 1, left));
                    int r = Math.max(0, Math.min(length - 1, left + 1));
                    if (l == r) {
                        w.start[i] = l;
                        w.count[i] = 1;
                        w.weight[i] = new float[] {1f};
                    } else {
                        w.start[i] = l;
                        w.count[i] = 2;
                        w.weight[i] = new float[] {(float) (1 - frac), (float) frac};
                    }
                }
            }
            return w;
        }
    }
}
