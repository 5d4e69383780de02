package io.imgindex.imaging.decode;

import java.io.Serializable;
import java.time.Duration;

/**
 * What the decoder accepts and produces.
 *
 * @param limits what an image may cost: pixels, sides, aspect ratio, progressive scans, time
 * @param targetWidth width of the pixels handed to the model
 * @param targetHeight height of the pixels handed to the model
 * @param centerCrop whether to crop the centre to the target's aspect ratio (else the image is squashed)
 * @param keepEncoded whether the model takes the encoded file rather than pixels: the image is still validated,
 *     but the fetched bytes, not resized pixels, go on to the model
 * @param thumbnailSize the longest side of a JPEG thumbnail made from the same decode, 0 for none
 */
public record DecodeOptions(
        Limits limits, int targetWidth, int targetHeight, boolean centerCrop, boolean keepEncoded, int thumbnailSize)
        implements Serializable {

    private static final long serialVersionUID = 3L;

    /** The largest thumbnail: a thumbnail is a few KB for a grid of results, not a preview. */
    public static final int MAX_THUMBNAIL_SIZE = 512;

    /** Without a thumbnail. */
    public DecodeOptions(Limits limits, int targetWidth, int targetHeight, boolean centerCrop, boolean keepEncoded) {
        this(limits, targetWidth, targetHeight, centerCrop, keepEncoded, 0);
    }

    /** The same, also making a thumbnail of {@code size} pixels on its longest side (0: none). */
    public DecodeOptions withThumbnails(int size) {
        return new DecodeOptions(limits, targetWidth, targetHeight, centerCrop, keepEncoded, size);
    }

    /** The default pixel limit: 50 megapixels, above any phone camera's full resolution. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    /** The size an image is validated at when the model takes encoded files and decodes them itself. */
    private static final int VALIDATION_SIZE = 32;

    /**
     * What decoding one image may cost, checked from the header before any pixel is decoded (all but the time,
     * which is checked while decoding). Together they bound a decode's memory by its output size, whatever the
     * file claims.
     *
     * @param maxPixels the largest width x height
     * @param maxSide the longest side, in pixels
     * @param maxAspectRatio the largest ratio of the long side to the short one
     * @param maxScans the most scans a progressive JPEG may have; an image of many pixels gets fewer (see
     *     {@link #scansAllowed})
     * @param timeout the longest a decode may take; a decode past it is stopped
     */
    public record Limits(long maxPixels, int maxSide, double maxAspectRatio, int maxScans, Duration timeout)
            implements Serializable {

        private static final long serialVersionUID = 1L;

        /** JPEG's and WebP's own bound on a side. */
        public static final int DEFAULT_MAX_SIDE = 65_535;

        /** Wider than any panorama or banner people index (a 360° panorama is 2:1, a web banner under 10:1). */
        public static final double DEFAULT_MAX_ASPECT_RATIO = 64;

        /** libjpeg's standard progressive script has 10 scans; optimising encoders use a few more. */
        public static final int DEFAULT_MAX_SCANS = 100;

        /** Full-resolution scans at the pixel limit that a progressive JPEG's scans may add up to. */
        static final long SCAN_BUDGET_AT_PIXEL_LIMIT = 20;

        public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

        public Limits {
            if (maxPixels < 1) {
                throw new IllegalArgumentException("--decode.max-pixels must be positive, was " + maxPixels);
            }
            if (maxSide < 1) {
                throw new IllegalArgumentException("--decode.max-side must be positive, was " + maxSide);
            }
            if (!(maxAspectRatio >= 1)) {
                throw new IllegalArgumentException(
                        "--decode.max-aspect-ratio must be at least 1, was " + maxAspectRatio);
            }
            if (maxScans < 1) {
                throw new IllegalArgumentException("--decode.max-scans must be positive, was " + maxScans);
            }
            if (timeout == null || timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("--decode.timeout must be positive, was " + timeout);
            }
        }

        public static Limits defaults() {
            return new Limits(
                    DEFAULT_MAX_PIXELS, DEFAULT_MAX_SIDE, DEFAULT_MAX_ASPECT_RATIO, DEFAULT_MAX_SCANS, DEFAULT_TIMEOUT);
        }

        public Limits withMaxPixels(long pixels) {
            return new Limits(pixels, maxSide, maxAspectRatio, maxScans, timeout);
        }

        /**
         * The scans a progressive JPEG of {@code pixels} may have: {@link #maxScans}, and no more than twenty
         * full-resolution scans at the pixel limit in all. Each scan is a pass of entropy decoding over the whole
         * image, so the cost is scans x pixels: ten scans of a 50-megapixel photo are normal, three hundred are an
         * attack that costs a core for tens of seconds.
         */
        public int scansAllowed(long pixels) {
            long budget = SCAN_BUDGET_AT_PIXEL_LIMIT * maxPixels / Math.max(1, pixels);
            return (int) Math.max(1, Math.min(maxScans, budget));
        }
    }

    /** Pixels resized to {@code width x height}, squashed or centre-cropped. */
    public static DecodeOptions pixels(Limits limits, int width, int height, boolean centerCrop) {
        return new DecodeOptions(limits, width, height, centerCrop, false);
    }

    /** Pixels resized to {@code width x height} under the default limits but {@code maxPixels}. */
    public static DecodeOptions pixels(long maxPixels, int width, int height, boolean centerCrop) {
        return pixels(Limits.defaults().withMaxPixels(maxPixels), width, height, centerCrop);
    }

    /** For a model that decodes encoded files itself: validated on a small thumbnail, the bytes passed on. */
    public static DecodeOptions encoded(Limits limits) {
        return new DecodeOptions(limits, VALIDATION_SIZE, VALIDATION_SIZE, false, true);
    }

    public DecodeOptions {
        if (limits == null) {
            throw new IllegalArgumentException("decode limits are required");
        }
        if (!keepEncoded && (targetWidth < 1 || targetHeight < 1 || targetWidth > 4096 || targetHeight > 4096)) {
            throw new IllegalArgumentException(
                    "model input size must be within 1..4096, was " + targetWidth + "x" + targetHeight);
        }
        if (thumbnailSize < 0 || thumbnailSize > MAX_THUMBNAIL_SIZE) {
            throw new IllegalArgumentException(
                    "the thumbnail size must be within 0.." + MAX_THUMBNAIL_SIZE + ", was " + thumbnailSize);
        }
    }

    public long maxPixels() {
        return limits.maxPixels();
    }
}
