package io.imgindex.server.http;

import io.imgindex.format.Manifest;
import io.imgindex.server.load.LoadedIndex;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/** {@code GET /v1/index}: what is served: generation, counts, model, dimension, shards, load statistics. */
public final class IndexInfoEndpoint {

    private final ApiContext ctx;

    public IndexInfoEndpoint(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response get(Request r) {
        LoadedIndex index = ctx.ready();
        Manifest m = index.manifest();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", m.indexName());
        out.put("generation", m.generation());
        out.put("pinned", ctx.served().pinned());
        out.put("format_version", m.formatVersion());
        out.put(
                "model",
                Map.of(
                        "id",
                        m.model().id(),
                        "dimension",
                        m.model().dimension(),
                        "metric",
                        m.model().metric()));
        out.put("shards_total", m.shards());
        out.put("shards_loaded", index.shards().keySet());
        out.put("vectors", index.vectors());
        Map<Integer, Integer> byShard = new TreeMap<>();
        index.shards().forEach((shard, rows) -> byShard.put(shard, rows.size()));
        out.put("vectors_by_shard", byShard);
        out.put("counts", m.counts());
        out.put("metadata_columns", m.metadataColumns());
        out.put(
                "search",
                ctx.hnsw() == null ? Map.of("approximate", false) : Map.of("approximate", true, "hnsw", ctx.hnsw()));
        Map<String, Object> load = new LinkedHashMap<>();
        load.put("loaded_at", index.stats().loadedAt().toString());
        load.put("bytes", index.stats().bytes());
        load.put("read_ms", index.stats().read().toMillis());
        load.put("graphs_ms", index.stats().graphs().toMillis());
        load.put("segments_loaded", index.stats().segmentsLoaded());
        load.put("segments_reused", index.stats().segmentsReused());
        load.put("heap_bytes", index.stats().heapBytes());
        load.put("mapped_bytes", index.stats().mappedBytes());
        load.put("graph_walk", index.stats().graphWalk());
        out.put("load", load);
        if (!m.segments().isEmpty()) {
            out.put("segments", m.segments().size());
        }
        ctx.served()
                .lastRefusal()
                .ifPresent(refused -> out.put(
                        "refused",
                        Map.of(
                                "generation",
                                refused.generation(),
                                "reason",
                                refused.reason(),
                                "at",
                                refused.at().toString())));
        return Response.json(out);
    }
}
