package io.imgindex.server.http;

import io.imgindex.format.DuplicateRow;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.search.ShardIndex;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code GET /v1/items/{id}}: an indexed item with its recorded duplicates (and its vector with
 * {@code ?vector=true}), or, for an id recorded as a duplicate, which item it duplicates.
 */
public final class ItemEndpoints {

    private final ApiContext ctx;

    public ItemEndpoints(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response get(Request r) {
        LoadedIndex index = ctx.ready();
        String id = r.pathParams().get("id");
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", index.generation());
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
                    SearchEndpoints.duplicates(index.duplicatesOf().getOrDefault(id, List.of())));
            if ("true".equalsIgnoreCase(r.param("vector"))) {
                out.put("vector", at.get().shard().vector(i));
            }
            return Response.json(out);
        }
        DuplicateRow d = index.duplicates().get(id);
        if (d != null) {
            out.put("id", id);
            out.put("url", d.url());
            out.put("duplicate_of", d.duplicateOf());
            out.put("similarity", d.similarity());
            out.put("match", d.match());
            out.put("metadata", d.metadata());
            return Response.json(out);
        }
        throw ApiException.notFound(
                "no item '" + id + "' in generation " + index.generation() + " (on the shards served here)");
    }
}
