package io.imgindex.server.search;

import io.imgindex.format.DuplicateRow;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Searches a loaded generation: each served shard is searched (in parallel when there are several) and the
 * per-shard top-k lists are merged. Thread-safe.
 */
public final class Searcher {

    /** How a query is answered. */
    public enum Mode {
        /** Through the HNSW graph. */
        APPROXIMATE,
        /** By a scan of every vector. */
        EXACT;

        /** As flags and requests write it. */
        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * A query.
     *
     * @param vector the query vector, unit length for cosine indexes
     * @param k results wanted
     * @param mode exact or approximate
     * @param ef the graph search's candidate list (approximate only)
     * @param filter metadata conditions, or null
     * @param includeDuplicates whether to attach each result's recorded duplicates
     * @param excludeId an id to leave out of the results (the query item of a "similar" request), or null
     */
    public record Query(
            float[] vector,
            int k,
            Mode mode,
            int ef,
            MetadataFilter filter,
            boolean includeDuplicates,
            String excludeId) {}

    /** One result. */
    public record Hit(
            String id,
            String url,
            float score,
            int shard,
            Map<String, String> metadata,
            List<DuplicateRow> duplicates) {}

    private final ExecutorService shardPool;

    public Searcher(ExecutorService shardPool) {
        this.shardPool = shardPool;
    }

    public List<Hit> search(Searchable index, Query q) throws InterruptedException {
        int k = q.excludeId() == null ? q.k() : q.k() + 1;
        List<ShardIndex> shards = new ArrayList<>(index.shards().values());
        List<TopK.Entry> merged = new ArrayList<>();
        if (shards.size() == 1) {
            merged.addAll(searchShard(shards.get(0), q, k));
        } else {
            List<Future<List<TopK.Entry>>> parts = new ArrayList<>();
            for (ShardIndex s : shards) {
                parts.add(shardPool.submit(() -> searchShard(s, q, k)));
            }
            for (Future<List<TopK.Entry>> f : parts) {
                try {
                    merged.addAll(f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            }
        }
        merged.sort(TopK::compare);
        List<Hit> hits = new ArrayList<>(q.k());
        for (TopK.Entry e : merged) {
            if (hits.size() == q.k()) {
                break;
            }
            ShardIndex shard = index.shards().get(e.shard());
            String id = shard.rows().id(e.ord());
            if (id.equals(q.excludeId())) {
                continue;
            }
            List<DuplicateRow> dups =
                    q.includeDuplicates() ? index.duplicatesOf().getOrDefault(id, List.of()) : null;
            hits.add(new Hit(
                    id,
                    shard.rows().url(e.ord()),
                    e.score(),
                    e.shard(),
                    shard.rows().metadata(e.ord()),
                    dups));
        }
        return hits;
    }

    private static List<TopK.Entry> searchShard(ShardIndex shard, Query q, int k) throws InterruptedException {
        BitSet accept = q.filter() == null ? null : q.filter().matches(shard);
        return q.mode() == Mode.EXACT
                ? shard.exact(q.vector(), k, accept)
                : shard.approximate(q.vector(), k, q.ef(), accept);
    }
}
