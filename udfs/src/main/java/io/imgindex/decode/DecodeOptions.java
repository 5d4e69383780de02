package io.imgindex.decode;

import java.io.Serializable;

/**
 * What the decoder accepts and produces.
 *
 * @param maxPixels the largest width x height accepted, checked from the header before decoding
 * @param targetWidth width of the pixels handed to the model
 * @param targetHeight height of the pixels handed to the model
 * @param centerCrop whether to crop the centre to the target's aspect ratio (else the image is squashed)
 * @param keepEncoded whether the model takes the encoded file rather than pixels: the image is still validated,
 *     but the fetched bytes, not resized pixels, go on to the model
 */
public record DecodeOptions(long maxPixels, int targetWidth, int targetHeight, boolean centerCrop, boolean keepEncoded)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The default pixel limit: 50 megapixels, above any phone camera's full resolution. */
    public static final long DEFAULT_MAX_PIXELS = 50_000_000L;

    /** Pixels resized to {@code width x height}, squashed or centre-cropped. */
    public static DecodeOptions pixels(long maxPixels, int width, int height, boolean centerCrop) {
        return new DecodeOptions(maxPixels, width, height, centerCrop, false);
    }

    public DecodeOptions {
        if (maxPixels < 1) {
            throw new IllegalArgumentException("maximum pixels must be positive, was " + maxPixels);
        }
        if (!keepEncoded && (targetWidth < 1 || targetHeight < 1 || targetWidth > 4096 || targetHeight > 4096)) {
            throw new IllegalArgumentException(
                    "model input size must be within 1..4096, was " + targetWidth + "x" + targetHeight);
        }
    }
}
