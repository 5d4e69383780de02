package io.imgindex.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.DuplicateRow;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.MetadataFilter;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.ShardIndex;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The items of the served generation: one by id ({@code GET /v1/items/{id}}: an indexed item with its recorded
 * duplicates, and its vector with {@code ?vector=true}; or, for an id recorded as a duplicate, which item it
 * duplicates), many by id ({@code POST /v1/items}), and every item passing a metadata filter, a page at a time
 * ({@code GET /v1/items?filter=&limit=&cursor=}).
 */
public final class ItemEndpoints {

    /** The most ids of one {@code POST /v1/items}. */
    public static final int MAX_IDS = 1_000;

    /** The largest page of a browse. */
    public static final int MAX_LIMIT = 1_000;

    private final ApiContext ctx;

    public ItemEndpoints(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response get(Request r) {
        LoadedIndex index = ctx.ready();
        String id = r.pathParams().get("id");
        Map<String, Object> item = item(index, id, "true".equalsIgnoreCase(r.param("vector")));
        if (item == null) {
            throw ApiException.notFound(
                    "no item '" + id + "' in generation " + index.generation() + " (on the shards served here)");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
        out.putAll(item);
        return Response.json(out);
    }

    /**
     * {@code POST /v1/items} with {@code {"ids": [...], "fields": ["vector"]}}: the items in the order asked, each as
     * {@code GET /v1/items/{id}} gives it, and the ids this server does not have under {@code missing}.
     */
    public Response getMany(Request r) {
        LoadedIndex index = ctx.ready();
        JsonNode body = Json.parse(r.body(), MAX_IDS);
        for (var it = body.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!f.equals("ids") && !f.equals("fields")) {
                throw ApiException.badRequest("unknown field '" + f + "' (fields: [fields, ids])");
            }
        }
        JsonNode ids = body.get("ids");
        if (ids == null || !ids.isArray() || ids.isEmpty()) {
            throw ApiException.badRequest("'ids' is required: an array of item ids");
        }
        if (ids.size() > MAX_IDS) {
            throw ApiException.badRequest("at most " + MAX_IDS + " ids at once; this request has " + ids.size());
        }
        boolean vectors = QueryParser.resultFields(body.get("fields")).contains(Searcher.Field.VECTOR);
        List<Map<String, Object>> items = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw ApiException.badRequest("ids must be strings, was " + id);
            }
            Map<String, Object> item = item(index, id.asText(), vectors);
            if (item == null) {
                missing.add(id.asText());
            } else {
                items.add(item);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
        out.put("items", items);
        out.put("missing", missing);
        return Response.json(out);
    }

    /**
     * {@code GET /v1/items?filter=&limit=&cursor=&fields=&shard=}: the indexed items that pass the filter, in shard
     * and row order, {@code limit} at a time; {@code next_cursor} continues (null at the end). A cursor belongs to
     * its generation: after a switch it is refused with 409 and browsing starts again. {@code shard} browses one
     * shard (as a router does).
     */
    public Response browse(Request r) {
        LoadedIndex index = ctx.ready();
        int limit = browseLimit(r);
        MetadataFilter filter = null;
        if (r.param("filter") != null) {
            try {
                filter = MetadataFilter.parse(
                        Json.parse(r.param("filter").getBytes(StandardCharsets.UTF_8)),
                        index.manifest().metadataColumns());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("filter: " + e.getMessage());
            }
        }
        Set<Searcher.Field> fields = QueryParser.resultFields(
                r.param("fields") == null
                        ? null
                        : Json.mapper().getNodeFactory().textNode(r.param("fields")));
        Integer onlyShard = r.param("shard") == null ? null : r.intParam("shard", 0);
        if (onlyShard != null && !index.shards().containsKey(onlyShard)) {
            throw ApiException.notFound("shard " + onlyShard + " is not served here (shards: "
                    + index.shards().keySet() + ")");
        }
        BrowseCursor at = BrowseCursor.of(r.param("cursor"), index.generation(), -1);
        List<Map<String, Object>> items = new ArrayList<>();
        BrowseCursor next = null;
        for (ShardIndex shard : index.shards().values()) {
            int s = shard.shard();
            if (s < at.shard() || (onlyShard != null && s != onlyShard)) {
                continue;
            }
            BitSet passing = filter == null ? null : filter.matches(shard);
            int ord = s == at.shard() ? at.ord() : 0;
            while (ord < shard.size()) {
                if (passing != null) {
                    ord = passing.nextSetBit(ord);
                    if (ord < 0) {
                        break;
                    }
                }
                if (items.size() == limit) {
                    next = new BrowseCursor(index.generation(), s, ord);
                    break;
                }
                items.add(browsed(index, shard, ord, fields));
                ord++;
            }
            if (next != null) {
                break;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
        out.put("items", items);
        out.put("next_cursor", next == null ? null : next.token());
        return Response.json(out);
    }

    /** A browse's page size: {@code limit}, 1 to {@value #MAX_LIMIT}, 100 by default. */
    public static int browseLimit(Request r) {
        int limit = r.intParam("limit", 100);
        if (limit < 1 || limit > MAX_LIMIT) {
            throw ApiException.badRequest("limit must be within 1.." + MAX_LIMIT + ", was " + limit);
        }
        return limit;
    }

    private static Map<String, Object> browsed(
            LoadedIndex index, ShardIndex shard, int ord, Set<Searcher.Field> fields) {
        ShardIndex.ShardRows rows = shard.rows();
        String id = rows.id(ord);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", id);
        m.put("url", rows.url(ord));
        m.put("shard", shard.shard());
        if (fields.contains(Searcher.Field.METADATA)) {
            m.put("metadata", rows.metadata(ord));
        }
        if (fields.contains(Searcher.Field.DUPLICATES)) {
            m.put("duplicates", SearchEndpoints.duplicates(index.duplicatesOf().getOrDefault(id, List.of()), index));
        }
        if (fields.contains(Searcher.Field.VECTOR)) {
            m.put("vector", shard.vector(ord));
        }
        if (fields.contains(Searcher.Field.THUMBNAIL_URL)) {
            m.put("thumbnail_url", shard.hasThumbnail(ord) ? thumbnailPath(id) : null);
        }
        return m;
    }

    /**
     * {@code GET /v1/items/{id}/thumbnail}: the indexed item's thumbnail (a small JPEG the job stored), with an
     * {@code ETag} from the image's content hash, so browsers and caches ask again only when the image changed
     * ({@code If-None-Match}: 304). 404 when the id is not an indexed item here or it has no thumbnail.
     */
    public Response thumbnail(Request r) throws IOException {
        LoadedIndex index = ctx.ready();
        String id = r.pathParams().get("id");
        var at = index.find(id);
        byte[] jpeg;
        String contentHash;
        if (at.isPresent()) {
            jpeg = at.get().shard().thumbnail(at.get().row());
            contentHash = at.get().shard().rows().sha256(at.get().row());
        } else if (index.duplicates().containsKey(id)) {
            LoadedIndex.PackedThumbnail packed = index.duplicateThumbnails().get(id);
            jpeg = packed == null ? null : packed.read();
            contentHash = index.duplicates().get(id).sha256();
        } else {
            throw ApiException.notFound(
                    "no item '" + id + "' in generation " + index.generation() + " (on the shards served here)");
        }
        if (jpeg == null) {
            throw ApiException.notFound("item '" + id + "' has no thumbnail (indexed with --thumbnail.size 0, or"
                    + " by a release before thumbnails)");
        }
        String etag = "\"" + contentHash + "-" + jpeg.length + "\"";
        Map<String, String> headers = Map.of("ETag", etag, "Cache-Control", "public, max-age=3600");
        String ifNoneMatch = r.header("if-none-match");
        if (ifNoneMatch != null
                && (ifNoneMatch.equals(etag) || ifNoneMatch.strip().equals("*"))) {
            return new Response(304, "image/jpeg", new byte[0], headers);
        }
        return new Response(200, "image/jpeg", jpeg, headers);
    }

    /** Where an item's thumbnail is served, relative to the server. */
    static String thumbnailPath(String id) {
        return "/v1/items/" + URLEncoder.encode(id, StandardCharsets.UTF_8).replace("+", "%20") + "/thumbnail";
    }

    /** An item as the item endpoints give it, or null when this server has no such id. */
    private static Map<String, Object> item(LoadedIndex index, String id, boolean vector) {
        Map<String, Object> out = new LinkedHashMap<>();
        var at = index.find(id);
        if (at.isPresent()) {
            ShardIndex.ShardRows rows = at.get().shard().rows();
            int i = at.get().row();
            out.put("id", id);
            out.put("url", rows.url(i));
            out.put("shard", at.get().shard().shard());
            out.put("width", rows.width(i));
            out.put("height", rows.height(i));
            out.put("format", rows.format(i));
            out.put("bytes", rows.bytes(i));
            out.put("sha256", rows.sha256(i));
            out.put(
                    "ingested_at",
                    Instant.ofEpochMilli(rows.ingestedAtMillis(i)).toString());
            out.put("source", rows.source(i));
            out.put("metadata", rows.metadata(i));
            out.put(
                    "duplicates",
                    SearchEndpoints.duplicates(index.duplicatesOf().getOrDefault(id, List.of()), index));
            if (vector) {
                out.put("vector", at.get().shard().vector(i));
            }
            out.put("thumbnail_url", at.get().shard().hasThumbnail(i) ? thumbnailPath(id) : null);
            return out;
        }
        DuplicateRow d = index.duplicates().get(id);
        if (d == null) {
            return null;
        }
        out.put("id", id);
        out.put("url", d.url());
        out.put("thumbnail_url", index.duplicateThumbnails().containsKey(id) ? thumbnailPath(id) : null);
        out.put("duplicate_of", d.duplicateOf());
        out.put("similarity", d.similarity());
        out.put("match", d.match());
        out.put("metadata", d.metadata());
        return out;
    }
}
