package io.imgindex.format;

/**
 * A generation that cannot be read as the index format: unknown format version, a manifest that does not
 * parse, a file whose size, row count or checksum does not match its manifest entry.
 */
public class IndexFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public IndexFormatException(String message) {
        super(message);
    }

    public IndexFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
