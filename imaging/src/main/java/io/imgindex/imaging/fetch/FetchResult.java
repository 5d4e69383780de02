package io.imgindex.imaging.fetch;

/**
 * The outcome of fetching one URL: the bytes, or a reason code and message.
 *
 * @param content the body, or null on failure
 * @param reason the failure's reason code ({@code TIMEOUT}, {@code HTTP_404}, ...), or null on success
 * @param message what went wrong, naming the offending value; null on success
 * @param httpStatus the last HTTP status seen, or null (no answer, or not HTTP)
 * @param attempts the requests made, redirects and retries included
 */
public record FetchResult(byte[] content, String reason, String message, Integer httpStatus, int attempts) {

    static FetchResult ok(byte[] content, Integer httpStatus, int attempts) {
        return new FetchResult(content, null, null, httpStatus, attempts);
    }

    static FetchResult failed(String reason, String message, Integer httpStatus, int attempts) {
        return new FetchResult(null, reason, message, httpStatus, attempts);
    }

    public boolean isOk() {
        return reason == null;
    }
}
