package io.imgindex.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.DuplicateRow;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.MetadataFilter;
import io.imgindex.server.search.Searcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The search endpoints: by vector ({@code POST /v1/search}), by image ({@code POST /v1/search/image}, the image
 * posted or fetched from a URL and embedded with the index's model), by indexed item
 * ({@code GET /v1/items/{id}/similar}), several vectors at once ({@code POST /v1/search/batch}); and {@code POST
 * /v1/embed}, which answers the image's vector.
 */
public final class SearchEndpoints {

    private final ApiContext ctx;

    public SearchEndpoints(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response byVector(Request r) throws Exception {
        long start = System.nanoTime();
        LoadedIndex index = ctx.ready();
        // No array of a search is longer than the vector or the longest 'in' list: a longer one is refused unread.
        Searcher.Query q = ctx.parser()
                .vectorQuery(Json.parse(r.body(), Math.max(index.dimension(), MetadataFilter.MAX_IN_VALUES)), index);
        return results(index, q, start);
    }

    /**
     * {@code POST /v1/search/batch}: several vector queries in one request, one response each, in order. Each shard
     * is searched once for all of them, its exact queries in shared passes over its vectors.
     */
    public Response batch(Request r) throws Exception {
        long start = System.nanoTime();
        LoadedIndex index = ctx.ready();
        // No array is longer than a batch, a vector or an 'in' list: a longer one is refused unread.
        JsonNode body = Json.parse(
                r.body(), Math.max(QueryParser.MAX_BATCH, Math.max(index.dimension(), MetadataFilter.MAX_IN_VALUES)));
        List<Searcher.Query> queries = ctx.parser().batch(body, index);
        List<List<Searcher.Hit>> answers = ctx.searcher().searchAll(index, queries);
        List<Map<String, Object>> responses = new ArrayList<>(answers.size());
        for (int i = 0; i < answers.size(); i++) {
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("mode", queries.get(i).mode().toString());
            one.put("results", render(answers.get(i), index));
            responses.add(one);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
        out.put("took_ms", tookMs(start));
        out.put("shards", index.shards().keySet());
        out.put("responses", responses);
        return Response.json(out);
    }

    public Response byImage(Request r) throws Exception {
        long start = System.nanoTime();
        LoadedIndex index = ctx.ready();
        if (r.mediaType().startsWith("image/")) {
            float[] v = ctx.embedder().embed(index.model().id(), r.body());
            return results(index, ctx.parser().fromParams(v, index, r, null), start);
        }
        if (r.mediaType().equals("application/json")) {
            JsonNode body = Json.parse(r.body());
            ctx.parser().checkUrlBody(body);
            float[] v =
                    ctx.embedder().embedUrl(index.model().id(), body.get("url").asText());
            return results(index, ctx.parser().query(v, index, body, null), start);
        }
        throw unsupported(r);
    }

    public Response similar(Request r) throws Exception {
        long start = System.nanoTime();
        LoadedIndex index = ctx.ready();
        String id = r.pathParams().get("id");
        LoadedIndex.Location at = index.find(id)
                .orElseThrow(() -> ApiException.notFound(
                        "no item '" + id + "' in generation " + index.generation() + " (on the shards served here)"));
        float[] v = at.shard().vector(at.row());
        return results(index, ctx.parser().fromParams(v, index, r, id), start);
    }

    public Response embed(Request r) throws Exception {
        LoadedIndex index = ctx.ready();
        float[] v;
        if (r.mediaType().startsWith("image/")) {
            v = ctx.embedder().embed(index.model().id(), r.body());
        } else if (r.mediaType().equals("application/json")) {
            JsonNode body = Json.parse(r.body());
            JsonNode url = body.get("url");
            if (url == null || !url.isTextual()) {
                throw ApiException.badRequest("'url' is required");
            }
            v = ctx.embedder().embedUrl(index.model().id(), url.asText());
        } else {
            throw unsupported(r);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("model", index.model().id());
        out.put("dimension", v.length);
        out.put("vector", v);
        return Response.json(out);
    }

    private static ApiException unsupported(Request r) {
        return new ApiException(
                415,
                "send the image itself (Content-Type image/...) or {\"url\": ...}"
                        + " (Content-Type application/json), not '" + r.mediaType() + "'");
    }

    private Response results(LoadedIndex index, Searcher.Query q, long start) throws InterruptedException {
        List<Searcher.Hit> hits = ctx.searcher().search(index, q);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
        out.put("took_ms", tookMs(start));
        out.put("mode", q.mode().toString());
        out.put("shards", index.shards().keySet());
        out.put("results", render(hits, index));
        return Response.json(out);
    }

    private static double tookMs(long start) {
        return Math.round((System.nanoTime() - start) / 1e3) / 1e3;
    }

    /** Results as JSON: id, URL, score and shard, and the fields asked for. */
    static List<Map<String, Object>> render(List<Searcher.Hit> hits, LoadedIndex index) {
        List<Map<String, Object>> results = new ArrayList<>(hits.size());
        for (Searcher.Hit h : hits) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", h.id());
            m.put("url", h.url());
            m.put("score", h.score());
            m.put("shard", h.shard());
            if (h.metadata() != null) {
                m.put("metadata", h.metadata());
            }
            if (h.duplicates() != null) {
                m.put("duplicates", duplicates(h.duplicates(), index));
            }
            if (h.vector() != null) {
                m.put("vector", h.vector());
            }
            if (h.thumbnail() != null) {
                m.put("thumbnail_url", h.thumbnail() ? ItemEndpoints.thumbnailPath(h.id()) : null);
            }
            results.add(m);
        }
        return results;
    }

    /** An item's recorded duplicates as JSON, each with its thumbnail's path when it has one. */
    static List<Map<String, Object>> duplicates(List<DuplicateRow> rows, LoadedIndex index) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (DuplicateRow d : rows) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", d.id());
            m.put("url", d.url());
            m.put("similarity", d.similarity());
            m.put("match", d.match());
            m.put(
                    "thumbnail_url",
                    index.duplicateThumbnails().containsKey(d.id()) ? ItemEndpoints.thumbnailPath(d.id()) : null);
            out.add(m);
        }
        return out;
    }
}
