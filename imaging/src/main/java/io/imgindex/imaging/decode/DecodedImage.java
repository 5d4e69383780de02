package io.imgindex.imaging.decode;

/**
 * A decoded image: its facts, and its pixels at the model's input size; or why it could not be decoded.
 *
 * @param format {@code jpeg}, {@code png}, {@code gif}, {@code bmp} or {@code webp}
 * @param width width in pixels after EXIF orientation
 * @param height height in pixels after EXIF orientation
 * @param orientation the EXIF orientation that was applied (1 = none)
 * @param pixels RGB bytes at the target size, row-major; null on failure
 * @param reason the reason code on failure, else null
 * @param message the explanation on failure, else null
 * @param thumbnail a JPEG of the upright image, {@link DecodeOptions#thumbnailSize} on its longest side (or its own
 *     size when smaller); null when none was asked for, or on failure
 */
public record DecodedImage(
        String format,
        int width,
        int height,
        int orientation,
        byte[] pixels,
        String reason,
        String message,
        byte[] thumbnail) {

    /** Without a thumbnail. */
    public DecodedImage(
            String format, int width, int height, int orientation, byte[] pixels, String reason, String message) {
        this(format, width, height, orientation, pixels, reason, message, null);
    }

    static DecodedImage failed(String format, String reason, String message) {
        return new DecodedImage(format, 0, 0, 0, null, reason, message);
    }

    public boolean isOk() {
        return reason == null;
    }
}
