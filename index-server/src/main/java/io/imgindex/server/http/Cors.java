package io.imgindex.server.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Cross-origin requests from pages served elsewhere ({@code --cors-origins}): off unless origins are named. An
 * allowed origin gets {@code Access-Control-Allow-Origin} on every answer and its preflight ({@code OPTIONS} with
 * {@code Access-Control-Request-Method}) answered 204; any other origin gets no CORS header, so its browser keeps
 * the answer from the page. No credentials are allowed: the API has none but the admin token, which a page of
 * another origin must not send.
 *
 * @param origins the origins allowed ({@code https://photos.example.org}), or {@code *} for any
 */
public record Cors(Set<String> origins) {

    /** No cross-origin request allowed: the default. */
    public static final Cors OFF = new Cors(Set.of());

    public Cors {
        origins = Set.copyOf(origins);
        for (String o : origins) {
            if (!o.equals("*") && !o.matches("https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")) {
                throw new IllegalArgumentException(
                        "--cors-origins takes origins such as https://photos.example.org or *, not '" + o + "'");
            }
        }
    }

    public boolean on() {
        return !origins.isEmpty();
    }

    /** Whether a page of this origin may read answers. */
    public boolean allows(String origin) {
        return origin != null && (origins.contains("*") || origins.contains(origin));
    }

    /** Headers for an answer to a request from {@code origin} (none when it is not allowed). */
    Map<String, String> headers(String origin) {
        if (!allows(origin)) {
            return Map.of();
        }
        Map<String, String> h = new LinkedHashMap<>();
        h.put("Access-Control-Allow-Origin", origins.contains("*") ? "*" : origin);
        h.put("Vary", "Origin");
        return h;
    }

    /** The answer to a preflight from {@code origin}: 204, with what it may send when it is allowed. */
    Response preflight(String origin) {
        Map<String, String> h = new LinkedHashMap<>(headers(origin));
        if (!h.isEmpty()) {
            h.put("Access-Control-Allow-Methods", "GET, POST");
            h.put("Access-Control-Allow-Headers", "Content-Type");
            h.put("Access-Control-Max-Age", "600");
        }
        return new Response(204, "text/plain", new byte[0], h);
    }
}
