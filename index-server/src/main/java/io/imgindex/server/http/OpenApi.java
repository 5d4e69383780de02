package io.imgindex.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;

/** {@code GET /openapi.yaml}: the API's description, from the jar, read once. */
public final class OpenApi {

    private static final byte[] SPEC = load();

    private OpenApi() {}

    /** Answers on the event loop: the bytes are in memory. */
    public static Response serve(Request r) {
        return new Response(200, "application/yaml; charset=utf-8", SPEC, Map.of("Cache-Control", "max-age=300"));
    }

    private static byte[] load() {
        try (InputStream in = OpenApi.class.getResourceAsStream("openapi.yaml")) {
            if (in == null) {
                throw new IllegalStateException("openapi.yaml is not in the server's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
