package io.imgindex.server.http;

import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.load.ServedIndex;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.QueryEmbedder;
import io.imgindex.server.search.Searcher;

/**
 * What the endpoints of a shard server share.
 *
 * @param served the generation being served
 * @param searcher the search over it
 * @param embedder query image embedding
 * @param metrics the metrics registry
 * @param parser request parameter checks
 * @param hnsw the graph parameters (for {@code /v1/index}), or null when serving exact search only
 * @param adminTokenSha256 the SHA-256 of the admin token, or null when admin endpoints are off
 */
public record ApiContext(
        ServedIndex served,
        Searcher searcher,
        QueryEmbedder embedder,
        Metrics metrics,
        QueryParser parser,
        HnswParams hnsw,
        byte[] adminTokenSha256) {

    /** The generation to answer from, or 503 while none is loaded. */
    public LoadedIndex ready() {
        return served.current().orElseThrow(() -> ApiException.unavailable(served.notReadyReason()));
    }
}
