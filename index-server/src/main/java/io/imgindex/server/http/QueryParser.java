package io.imgindex.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.ModelInfo;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.MetadataFilter;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.VectorMath;
import java.util.Iterator;
import java.util.Locale;
import java.util.Set;

/**
 * Reads search parameters from a JSON body or query parameters and checks them against the served generation:
 * every problem is a 400 naming the field and the value.
 */
public final class QueryParser {

    private static final Set<String> SEARCH_FIELDS =
            Set.of("vector", "k", "filter", "include_duplicates", "mode", "ef", "exclude_id");
    private static final Set<String> URL_FIELDS = Set.of("url", "k", "filter", "include_duplicates", "mode", "ef");

    private final int maxK;
    private final Searcher.Mode defaultMode;
    private final int defaultEf;

    public QueryParser(int maxK, Searcher.Mode defaultMode, int defaultEf) {
        this.maxK = maxK;
        this.defaultMode = defaultMode;
        this.defaultEf = defaultEf;
    }

    /** A {@code POST /v1/search} body. */
    public Searcher.Query vectorQuery(JsonNode body, LoadedIndex index) {
        allowOnly(body, SEARCH_FIELDS);
        JsonNode v = body.get("vector");
        if (v == null || !v.isArray()) {
            throw ApiException.badRequest("'vector' is required: an array of " + index.dimension() + " numbers");
        }
        float[] vector = new float[v.size()];
        for (int i = 0; i < vector.length; i++) {
            JsonNode x = v.get(i);
            if (!x.isNumber()) {
                throw ApiException.badRequest("vector[" + i + "] is " + x + ", not a number");
            }
            vector[i] = (float) x.asDouble();
            if (!Float.isFinite(vector[i])) {
                throw ApiException.badRequest("vector[" + i + "] is not a finite float: " + x);
            }
        }
        JsonNode exclude = body.get("exclude_id");
        if (exclude != null && !exclude.isNull() && !exclude.isTextual()) {
            throw ApiException.badRequest("exclude_id must be a string");
        }
        return query(
                vector,
                index,
                body.get("k"),
                body.get("mode"),
                body.get("ef"),
                body.get("filter"),
                body.get("include_duplicates"),
                exclude == null || exclude.isNull() ? null : exclude.asText());
    }

    /** The other fields of a {@code {"url": ...}} body; the vector comes from the embedding. */
    public void checkUrlBody(JsonNode body) {
        allowOnly(body, URL_FIELDS);
        JsonNode url = body.get("url");
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw ApiException.badRequest("'url' is required: the image's URL");
        }
    }

    /** A query from a vector and JSON fields (any may be null). */
    public Searcher.Query query(
            float[] vector,
            LoadedIndex index,
            JsonNode k,
            JsonNode mode,
            JsonNode ef,
            JsonNode filter,
            JsonNode includeDuplicates,
            String excludeId) {
        if (vector.length != index.dimension()) {
            throw ApiException.badRequest("vector has " + vector.length + " values; generation " + index.generation()
                    + " (model " + index.manifest().model().id() + ") has " + index.dimension() + " dimensions");
        }
        float[] q = ModelInfo.COSINE.equals(index.manifest().model().metric()) ? VectorMath.normalised(vector) : vector;
        int kk = k == null || k.isNull() ? 10 : intField("k", k);
        if (kk < 1 || kk > maxK) {
            throw ApiException.badRequest("k must be within 1.." + maxK + ", was " + kk);
        }
        Searcher.Mode m = mode == null || mode.isNull() ? defaultMode : mode(mode.asText());
        int e = ef == null || ef.isNull() ? Math.max(defaultEf, kk) : intField("ef", ef);
        if (e < kk || e > 10_000) {
            throw ApiException.badRequest("ef must be within k.." + 10_000 + ", was " + e);
        }
        MetadataFilter f = null;
        if (filter != null && !filter.isNull()) {
            try {
                f = MetadataFilter.parse(filter, index.manifest().metadataColumns());
            } catch (IllegalArgumentException ex) {
                throw ApiException.badRequest("filter: " + ex.getMessage());
            }
        }
        boolean dups = false;
        if (includeDuplicates != null && !includeDuplicates.isNull()) {
            if (!includeDuplicates.isBoolean()) {
                throw ApiException.badRequest("include_duplicates must be true or false");
            }
            dups = includeDuplicates.asBoolean();
        }
        return new Searcher.Query(q, kk, m, e, f, dups, excludeId);
    }

    /** The same fields from query parameters ({@code filter} as JSON text). */
    public Searcher.Query fromParams(float[] vector, LoadedIndex index, Request r, String excludeId) {
        JsonNode filter = null;
        if (r.param("filter") != null) {
            filter = Json.parse(r.param("filter").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return query(
                vector,
                index,
                numberParam(r, "k"),
                textParam(r, "mode"),
                numberParam(r, "ef"),
                filter,
                r.param("include_duplicates") == null
                        ? null
                        : Json.mapper().getNodeFactory().booleanNode(bool(r.param("include_duplicates"))),
                excludeId);
    }

    private static boolean bool(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw ApiException.badRequest("include_duplicates must be true or false, was '" + v + "'");
        };
    }

    private static JsonNode numberParam(Request r, String name) {
        String v = r.param(name);
        if (v == null) {
            return null;
        }
        try {
            return Json.mapper().getNodeFactory().numberNode(Integer.parseInt(v.strip()));
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be an integer, was '" + v + "'");
        }
    }

    private static JsonNode textParam(Request r, String name) {
        String v = r.param(name);
        return v == null ? null : Json.mapper().getNodeFactory().textNode(v);
    }

    private static Searcher.Mode mode(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "approximate", "hnsw" -> Searcher.Mode.APPROXIMATE;
            case "exact" -> Searcher.Mode.EXACT;
            default -> throw ApiException.badRequest("mode must be approximate or exact, was '" + v + "'");
        };
    }

    private static int intField(String name, JsonNode v) {
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw ApiException.badRequest(name + " must be an integer, was " + v);
        }
        return v.asInt();
    }

    private static void allowOnly(JsonNode body, Set<String> fields) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw ApiException.badRequest(
                        "unknown field '" + f + "' (fields: " + new java.util.TreeSet<>(fields) + ")");
            }
        }
    }
}
