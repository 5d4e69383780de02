package io.imgindex.server.http;

import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * An HTTP request as the endpoints see it: read off the event loop, its body already copied out of Netty's
 * buffers (and capped in size by the pipeline).
 *
 * @param method {@code GET}, {@code POST}, ...
 * @param path the path, without the query
 * @param pathParams values of the route's {@code {name}} segments
 * @param query query parameters
 * @param headers header values by lower-case name
 * @param body the body, possibly empty
 */
public record Request(
        String method,
        String path,
        Map<String, String> pathParams,
        Map<String, List<String>> query,
        Map<String, String> headers,
        byte[] body) {

    /** A header, or null. */
    public String header(String name) {
        return headers.get(name.toLowerCase(Locale.ROOT));
    }

    /** The first value of a query parameter, or null. */
    public String param(String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    /** An integer query parameter, or the default; a value that is not an integer is a 400. */
    public int intParam(String name, int defaultValue) {
        String v = param(name);
        if (v == null) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(v.strip());
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("query parameter " + name + " must be an integer, was '" + v + "'");
        }
    }

    /** The media type of the body, lower-case, without parameters; empty if none. */
    public String mediaType() {
        String ct = header("content-type");
        if (ct == null) {
            return "";
        }
        int semi = ct.indexOf(';');
        return (semi < 0 ? ct : ct.substring(0, semi)).strip().toLowerCase(Locale.ROOT);
    }
}
