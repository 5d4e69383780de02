package io.imgindex.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imgindex.format.ModelInfo;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.MetadataFilter;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.VectorMath;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads search parameters from a JSON body or query parameters and checks them against the served generation:
 * every problem is a 400 naming the field and the value.
 */
public final class QueryParser {

    /** What a query may say besides its vector (or URL). */
    private static final Set<String> QUERY_FIELDS =
            Set.of("k", "offset", "score_threshold", "fields", "filter", "include_duplicates", "mode", "ef");

    private static final Set<String> SEARCH_FIELDS = union(QUERY_FIELDS, "vector", "exclude_id");
    private static final Set<String> URL_FIELDS = union(QUERY_FIELDS, "url");

    /** The most results a query may skip: paging deeper than this is a browse ({@code GET /v1/items}). */
    public static final int MAX_OFFSET = 10_000;

    /** The most queries of one {@code POST /v1/search/batch}. */
    public static final int MAX_BATCH = 256;

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
        return vectorQuery(body, index, "");
    }

    /**
     * A {@code POST /v1/search/batch} body: {@code {"queries": [ {a /v1/search body}, ... ]}}.
     *
     * @throws ApiException 400 naming the query and the field, or the batch's size
     */
    public List<Searcher.Query> batch(JsonNode body, LoadedIndex index) {
        allowOnly(body, Set.of("queries"));
        JsonNode queries = body.get("queries");
        if (queries == null || !queries.isArray() || queries.isEmpty()) {
            throw ApiException.badRequest("'queries' is required: an array of search bodies (as for /v1/search)");
        }
        if (queries.size() > MAX_BATCH) {
            throw ApiException.badRequest(
                    "a batch holds at most " + MAX_BATCH + " queries; this one has " + queries.size());
        }
        List<Searcher.Query> out = new ArrayList<>(queries.size());
        for (int i = 0; i < queries.size(); i++) {
            if (!queries.get(i).isObject()) {
                throw ApiException.badRequest("queries[" + i + "] must be an object");
            }
            out.add(vectorQuery(queries.get(i), index, "queries[" + i + "]: "));
        }
        return out;
    }

    private Searcher.Query vectorQuery(JsonNode body, LoadedIndex index, String where) {
        try {
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
            return query(vector, index, body, exclude == null || exclude.isNull() ? null : exclude.asText());
        } catch (ApiException e) {
            if (where.isEmpty()) {
                throw e;
            }
            throw new ApiException(e.status(), where + e.getMessage());
        }
    }

    /** The other fields of a {@code {"url": ...}} body; the vector comes from the embedding. */
    public void checkUrlBody(JsonNode body) {
        allowOnly(body, URL_FIELDS);
        JsonNode url = body.get("url");
        if (url == null || !url.isTextual() || url.asText().isBlank()) {
            throw ApiException.badRequest("'url' is required: the image's URL");
        }
    }

    /**
     * A query from a vector and the other fields of a request body (any may be absent).
     *
     * @param fields an object holding {@code k}, {@code offset}, {@code score_threshold}, {@code fields}, {@code
     *     filter}, {@code include_duplicates}, {@code mode} and {@code ef}, as a request gives them
     */
    public Searcher.Query query(float[] vector, LoadedIndex index, JsonNode fields, String excludeId) {
        if (vector.length != index.dimension()) {
            throw ApiException.badRequest("vector has " + vector.length + " values; generation " + index.generation()
                    + " (model " + index.manifest().model().id() + ") has " + index.dimension() + " dimensions");
        }
        float[] q = ModelInfo.COSINE.equals(index.manifest().model().metric()) ? VectorMath.normalised(vector) : vector;
        JsonNode k = present(fields, "k");
        int kk = k == null ? 10 : intField("k", k);
        if (kk < 1 || kk > maxK) {
            throw ApiException.badRequest("k must be within 1.." + maxK + ", was " + kk);
        }
        JsonNode offsetNode = present(fields, "offset");
        int offset = offsetNode == null ? 0 : intField("offset", offsetNode);
        if (offset < 0 || offset > MAX_OFFSET) {
            throw ApiException.badRequest("offset must be within 0.." + MAX_OFFSET + ", was " + offset
                    + " (GET /v1/items pages through a whole index)");
        }
        JsonNode threshold = present(fields, "score_threshold");
        float minScore = Float.NEGATIVE_INFINITY;
        if (threshold != null) {
            if (!threshold.isNumber() || !Double.isFinite(threshold.asDouble())) {
                throw ApiException.badRequest("score_threshold must be a number, was " + threshold);
            }
            minScore = (float) threshold.asDouble();
        }
        JsonNode mode = present(fields, "mode");
        Searcher.Mode m = mode == null ? defaultMode : mode(mode.asText());
        JsonNode ef = present(fields, "ef");
        int e = ef == null ? Math.max(defaultEf, offset + kk) : intField("ef", ef);
        if (e < kk || e > 10_000) {
            throw ApiException.badRequest("ef must be within k.." + 10_000 + ", was " + e);
        }
        JsonNode filter = present(fields, "filter");
        MetadataFilter f = null;
        if (filter != null) {
            try {
                f = MetadataFilter.parse(filter, index.manifest().metadataColumns());
            } catch (IllegalArgumentException ex) {
                throw ApiException.badRequest("filter: " + ex.getMessage());
            }
        }
        Set<Searcher.Field> wanted = resultFields(present(fields, "fields"));
        JsonNode includeDuplicates = present(fields, "include_duplicates");
        if (includeDuplicates != null) {
            if (!includeDuplicates.isBoolean()) {
                throw ApiException.badRequest("include_duplicates must be true or false");
            }
            if (includeDuplicates.asBoolean()) {
                Set<Searcher.Field> with = new HashSet<>(wanted);
                with.add(Searcher.Field.DUPLICATES);
                wanted = Set.copyOf(with);
            }
        }
        return new Searcher.Query(q, kk, offset, minScore, m, e, f, wanted, excludeId);
    }

    /**
     * What results carry: {@code ["metadata", "duplicates", "vector"]} in any order, or a comma-separated string of
     * them; {@link Searcher.Field#DEFAULT} when absent.
     */
    public static Set<Searcher.Field> resultFields(JsonNode fields) {
        if (fields == null) {
            return Searcher.Field.DEFAULT;
        }
        List<String> names = new ArrayList<>();
        if (fields.isTextual()) {
            for (String n : fields.asText().split(",")) {
                if (!n.isBlank()) {
                    names.add(n.strip());
                }
            }
        } else if (fields.isArray()) {
            for (JsonNode n : fields) {
                if (!n.isTextual()) {
                    throw ApiException.badRequest("fields must be names, was " + n);
                }
                names.add(n.asText());
            }
        } else {
            throw ApiException.badRequest(
                    "fields must be an array of names: metadata, duplicates, vector, thumbnail_url");
        }
        EnumSet<Searcher.Field> out = EnumSet.noneOf(Searcher.Field.class);
        for (String n : names) {
            try {
                out.add(Searcher.Field.valueOf(n.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest(
                        "unknown field '" + n + "' (fields: metadata, duplicates, vector, thumbnail_url)");
            }
        }
        return out;
    }

    private static JsonNode present(JsonNode fields, String name) {
        JsonNode v = fields == null ? null : fields.get(name);
        return v == null || v.isNull() ? null : v;
    }

    /** The same fields from query parameters ({@code filter} as JSON text, {@code fields} comma-separated). */
    public Searcher.Query fromParams(float[] vector, LoadedIndex index, Request r, String excludeId) {
        return query(vector, index, searchFields(r), excludeId);
    }

    /**
     * A search's query parameters as the fields of a JSON search body ({@code filter} parsed, {@code fields} kept
     * comma-separated): what {@link #fromParams} checks, and what a router forwards to its shard servers.
     *
     * @throws ApiException 400 for a number, boolean or filter that does not parse
     */
    public static ObjectNode searchFields(Request r) {
        ObjectNode fields = Json.mapper().createObjectNode();
        for (String name : List.of("k", "offset", "ef")) {
            JsonNode n = numberParam(r, name);
            if (n != null) {
                fields.set(name, n);
            }
        }
        if (r.param("score_threshold") != null) {
            try {
                fields.put(
                        "score_threshold",
                        Double.parseDouble(r.param("score_threshold").strip()));
            } catch (NumberFormatException e) {
                throw ApiException.badRequest(
                        "score_threshold must be a number, was '" + r.param("score_threshold") + "'");
            }
        }
        if (r.param("mode") != null) {
            fields.put("mode", r.param("mode"));
        }
        if (r.param("fields") != null) {
            fields.put("fields", r.param("fields"));
        }
        if (r.param("filter") != null) {
            fields.set("filter", Json.parse(r.param("filter").getBytes(StandardCharsets.UTF_8)));
        }
        if (r.param("include_duplicates") != null) {
            fields.put("include_duplicates", bool(r.param("include_duplicates")));
        }
        return fields;
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

    private static Set<String> union(Set<String> set, String... more) {
        Set<String> out = new HashSet<>(set);
        out.addAll(Arrays.asList(more));
        return Set.copyOf(out);
    }

    private static void allowOnly(JsonNode body, Set<String> fields) {
        for (Iterator<String> it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!fields.contains(f)) {
                throw ApiException.badRequest("unknown field '" + f + "' (fields: " + new TreeSet<>(fields) + ")");
            }
        }
    }
}
