package io.imgindex.server.http;

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

    /** A matched route. */
    public record Match(String name, Endpoint endpoint, Map<String, String> params) {}

    private record Route(
            String method, String path, Pattern pattern, List<String> names, String name, Endpoint endpoint) {}

    private final List<Route> routes = new ArrayList<>();

    /** Every route as {@code METHOD path}, in the order added (for documentation checks). */
    public List<String> describe() {
        return routes.stream().map(r -> r.method + " " + r.path).toList();
    }

    /** Adds a route; {@code name} labels its metrics. */
    public Routes add(String method, String path, String name, Endpoint endpoint) {
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
        routes.add(new Route(method, path, Pattern.compile(regex.toString()), names, name, endpoint));
        return this;
    }

    /**
     * The route for a request.
     *
     * @throws ApiException 404 if no path matches, 405 if the path matches with another method
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
                    params.put(
                            r.names.get(i),
                            java.net.URLDecoder.decode(m.group(i + 1), java.nio.charset.StandardCharsets.UTF_8));
                }
                return new Match(r.name, r.endpoint, params);
            }
        }
        if (pathMatched) {
            throw new ApiException(405, "method " + method + " is not allowed on " + path);
        }
        throw ApiException.notFound("no such endpoint: " + method + " " + path);
    }
}
