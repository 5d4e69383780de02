package io.imgindex.server.http;

/**
 * A request that cannot be answered as asked: carries the HTTP status and a message for the client, which the
 * request handler turns into {@code {"error": message}}. Anything else thrown is a server error (500, logged).
 */
public class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public ApiException(int status, String message) {
        super(message, null, false, false);
        this.status = status;
    }

    public int status() {
        return status;
    }

    public static ApiException badRequest(String message) {
        return new ApiException(400, message);
    }

    public static ApiException notFound(String message) {
        return new ApiException(404, message);
    }

    public static ApiException unavailable(String message) {
        return new ApiException(503, message);
    }
}
