package io.imgindex.server.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.HashMap;
import java.util.Map;

/**
 * The search page every server serves at {@code /}: three static files from the jar ({@code page/}), read once,
 * answered on the event loop. The page calls only this server (its Content-Security-Policy says so), shows the
 * index's values as text, and keeps an admin token in memory only.
 */
public final class PageEndpoints {

    /** The page's own files and their types: nothing else is served under {@code /page/}. */
    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "app.js", "text/javascript; charset=utf-8",
            "app.css", "text/css; charset=utf-8");

    private static final Map<String, byte[]> CONTENT = load();

    /**
     * Scripts and styles from this server only; images from it (thumbnails) or from the web (a result's own URL
     * when it has no thumbnail), as the page shows them; calls to this server only.
     */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:"
            + " http: https:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    private PageEndpoints() {}

    /** {@code GET /}: the page. */
    public static Response index(Request r) {
        return file("index.html");
    }

    /** {@code GET /page/{file}}: its script and style. */
    public static Response asset(Request r) {
        String name = r.pathParams().get("file");
        if (!FILES.containsKey(name)) {
            throw ApiException.notFound("no page file '" + name + "'");
        }
        return file(name);
    }

    private static Response file(String name) {
        return new Response(
                200,
                FILES.get(name),
                CONTENT.get(name),
                Map.of(
                        "Content-Security-Policy", CSP,
                        "X-Content-Type-Options", "nosniff",
                        "Referrer-Policy", "no-referrer",
                        "Cache-Control", "no-cache"));
    }

    private static Map<String, byte[]> load() {
        Map<String, byte[]> out = new HashMap<>();
        for (String name : FILES.keySet()) {
            try (InputStream in = PageEndpoints.class.getResourceAsStream("page/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("page/" + name + " is not in the server's jar");
                }
                out.put(name, in.readAllBytes());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return Map.copyOf(out);
    }
}
