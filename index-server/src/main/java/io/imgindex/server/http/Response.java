package io.imgindex.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * What an endpoint answers.
 *
 * @param status the HTTP status
 * @param contentType the body's media type
 * @param body the body
 * @param headers extra headers
 */
public record Response(int status, String contentType, byte[] body, Map<String, String> headers) {

    public static Response json(int status, Object value) {
        return new Response(status, "application/json", Json.write(value), Map.of());
    }

    public static Response json(Object value) {
        return json(200, value);
    }

    public static Response text(int status, String contentType, String body) {
        return new Response(status, contentType, body.getBytes(StandardCharsets.UTF_8), Map.of());
    }

    /** The JSON error body every failure uses. */
    public static Response error(int status, String message) {
        return json(status, Map.of("error", message));
    }
}
