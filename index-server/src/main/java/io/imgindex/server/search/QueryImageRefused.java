package io.imgindex.server.search;

/**
 * A query image the server will not embed, with why in words the client reads; the HTTP layer chooses the status
 * from {@link #why()} (search knows nothing of HTTP).
 */
public final class QueryImageRefused extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why an image is refused. */
    public enum Why {
        /** The URL is not one this server may read (its scheme, its address). */
        NOT_ALLOWED,
        /** More bytes or pixels than the server's limits. */
        TOO_LARGE,
        /** Not an image the server can read: not found, not decodable, past the decode time. */
        UNUSABLE
    }

    private final Why why;

    QueryImageRefused(Why why, String message) {
        super(message, null, false, false);
        this.why = why;
    }

    public Why why() {
        return why;
    }
}
