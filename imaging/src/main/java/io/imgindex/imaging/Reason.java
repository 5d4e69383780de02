package io.imgindex.imaging;

/**
 * Why an input was not indexed: the {@code reason} column of the failures table. {@code HTTP_<status>} codes
 * are made by {@link #http(int)}.
 */
public enum Reason {
    /** The input line could not be parsed (bad CSV or JSON, no url column, an invalid id). */
    BAD_RECORD("the input line could not be parsed"),
    /**
     * A queue message without a correlation id: the stream source cannot tell its redelivery from a new message,
     * so it is recorded (and acknowledged) instead of processed.
     */
    NO_CORRELATION_ID("the queue message has no correlation id"),
    /** The URL does not parse, or its scheme is not http, https, s3a or file. */
    BAD_URL("the URL is malformed or its scheme is not supported"),
    /** Another input line already used this id. */
    DUPLICATE_ID("another input line has the same id"),
    /** An append's input line has the id of an item the base generation holds already. */
    ALREADY_INDEXED("the id is in the generation appended to already"),
    /** The host resolves to a loopback, private, link-local or metadata address, and those are not allowed. */
    BLOCKED_ADDRESS("the address is loopback, private, link-local or a metadata service"),
    /** A file: URL outside the allowed roots. */
    BLOCKED_PATH("the file is outside the allowed roots"),
    /** A file: or s3a: URL whose object does not exist. */
    NOT_FOUND("no such file or object"),
    /** Connect or read timed out, after retries. */
    TIMEOUT("the server did not answer in time"),
    /** The body is larger than the byte limit (declared or actual). */
    TOO_LARGE("the image is larger than the byte limit"),
    /** More redirects than allowed, or a redirect loop. */
    TOO_MANY_REDIRECTS("too many redirects"),
    /** Any other network or I/O error (DNS failure, connection refused, reset). */
    FETCH_FAILED("the fetch failed"),
    /** The image header declares more pixels than allowed (a decompression bomb). */
    TOO_MANY_PIXELS("the image has more pixels than allowed"),
    /** A side longer than allowed, or a shape thinner than the aspect ratio limit (1 x 50,000,000, say). */
    BAD_DIMENSIONS("the image's width or height, or their ratio, is beyond the limits"),
    /** A progressive JPEG with more scans than its size allows: each scan is a decoding pass over the image. */
    TOO_MANY_SCANS("the progressive JPEG has more scans than allowed"),
    /** Decoding took longer than allowed, or was cancelled, and was stopped. */
    DECODE_TIMEOUT("decoding took longer than allowed"),
    /** The bytes are not an image of any known format. */
    NOT_AN_IMAGE("the content is not an image"),
    /** A known image format, but the file is truncated or corrupt. */
    CORRUPT_IMAGE("the image is truncated or corrupt"),
    /** An image format this build does not decode (TIFF, HEIC, AVIF, SVG, ...). */
    UNSUPPORTED_FORMAT("the image format is not supported"),
    /** The model failed on the image, or did not answer in time. */
    EMBEDDING_FAILED("the embedding could not be computed");

    private final String description;

    Reason(String description) {
        this.description = description;
    }

    /** What the code means, for documentation and help output. */
    public String description() {
        return description;
    }

    /** The code of an HTTP error status, e.g. {@code HTTP_404}. */
    public static String http(int status) {
        return "HTTP_" + status;
    }
}
