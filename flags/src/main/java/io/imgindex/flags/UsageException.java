package io.imgindex.flags;

/** A command line that cannot be run: an unknown or malformed flag, a missing value. The message is one line. */
public class UsageException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public UsageException(String message) {
        super(message);
    }

    public UsageException(String message, Throwable cause) {
        super(message, cause);
    }
}
