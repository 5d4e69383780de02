package io.imgindex.server.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The table of routes: method and path pattern (with {@code {name}} segments) to an endpoint and its name in
 * the metrics. Immutable once built; thread-safe to read.
 */
public final class Routes {

    /**
     * A matched route.
     *
     * @param immediate answered on the event loop rather than the worker pool (see {@link #addImmediate})
     */
    public record Match(String name, Endpoint endpoint, Map<String, String> params, boolean immediate) {}

    private record Route(
            String method,
            String path,
            Pattern pattern,
            List<String> names,
            String name,
            Endpoint endpoint,
            boolean immediate) {}

    private final List<Route> routes = new ArrayList<>();

    /** Every route as {@code METHOD path}, in the order added (for documentation checks). */
    public List<String> describe() {
        return routes.stream().map(r -> r.method + " " + r.path).toList();
    }

    /** Adds a route; {@code name} labels its metrics. Its endpoint runs on the worker pool. */
    public Routes add(String method, String path, String name, Endpoint endpoint) {
        return add(method, path, name, endpoint, false);
    }

    /**
     * Adds a route answered on the event loop, so that it answers while every worker is busy: only for endpoints
     * that read a few fields of memory and never block (health checks, metrics), as they hold up every other
     * connection of that loop while they run.
     */
    public Routes addImmediate(String method, String path, String name, Endpoint endpoint) {
        return add(method, path, name, endpoint, true);
    }

    private Routes add(String method, String path, String name, Endpoint endpoint, boolean immediate) {
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("\\{(\\w+)}").matcher(path);
        StringBuilder regex = new StringBuilder();
        int last = 0;
        while (m.find()) {
            regex.append(Pattern.quote(path.substring(last, m.start()))).append("([^/]+)");
            names.add(m.group(1));
            last = m.end();
        }
        regex.append(Pattern.quote(path.substring(last)));
        routes.add(new Route(method, path, Pattern.compile(regex.toString()), names, name, endpoint, immediate));
        return this;
    }

    /**
     * The route for a request.
     *
     * @throws ApiException 404 if no path matches, 405 if the path matches with another method, 400 if a path
     *     segment is not valid percent-encoding
     */
    public Match match(String method, String path) {
        boolean pathMatched = false;
        for (Route r : routes) {
            Matcher m = r.pattern.matcher(path);
            if (!m.matches()) {
                continue;
            }
            pathMatched = true;
            if (r.method.equals(method)) {
                Map<String, String> params = new HashMap<>();
                for (int i = 0; i < r.names.size(); i++) {
                    params.put(r.names.get(i), decode(m.group(i + 1)));
                }
                return new Match(r.name, r.endpoint, params, r.immediate);
            }
        }
        if (pathMatched) {
            throw new ApiException(405, "method " + method + " is not allowed on " + path);
        }
        throw ApiException.notFound("no such endpoint: " + method + " " + path);
    }

    /** A path segment's value; its {@code +} stays a plus, as in a path (not a form) it means itself. */
    private static String decode(String segment) {
        try {
            return URLDecoder.decode(segment.replace("+", "%2B"), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw new ApiException(400, "the path is not valid percent-encoding: " + e.getMessage());
        }
    }
}
