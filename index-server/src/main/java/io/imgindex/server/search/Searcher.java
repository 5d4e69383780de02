package io.imgindex.server.search;

import io.imgindex.format.DuplicateRow;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Searches a loaded generation: each served shard is searched (in parallel when there are several) and the
 * per-shard top-k lists are merged. A batch of queries is searched together: its exact queries in one pass over
 * each shard's vectors. Thread-safe.
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
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** What a result carries besides its id, URL, score and shard. */
    public enum Field {
        /** The stored vector. */
        VECTOR,
        /** The metadata columns. */
        METADATA,
        /** The duplicates recorded for it (near and exact, with their similarity and how they were decided). */
        DUPLICATES,
        /** Where its thumbnail is served, when it has one. */
        THUMBNAIL_URL;

        /** The fields of a result when a request names none. */
        public static final Set<Field> DEFAULT = Set.of(METADATA);

        /** As requests write it. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * A query.
     *
     * @param vector the query vector, unit length for cosine indexes
     * @param k results wanted
     * @param offset results skipped before the {@code k} (paging)
     * @param minScore results scoring below it are left out ({@link Float#NEGATIVE_INFINITY}: none)
     * @param mode exact or approximate
     * @param ef the graph search's candidate list (approximate only)
     * @param filter metadata conditions, or null
     * @param fields what each result carries
     * @param excludeId an id to leave out of the results (the query item of a "similar" request), or null
     */
    public record Query(
            float[] vector,
            int k,
            int offset,
            float minScore,
            Mode mode,
            int ef,
            MetadataFilter filter,
            Set<Field> fields,
            String excludeId) {

        public Query {
            fields = fields.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(fields));
        }

        /** The query of a plain top-k search: no paging, threshold or filter; metadata only. */
        public static Query topK(float[] vector, int k, Mode mode, int ef) {
            return new Query(vector, k, 0, Float.NEGATIVE_INFINITY, mode, ef, null, Field.DEFAULT, null);
        }

        /** How many of the best rows each shard must give for this query. */
        int depth() {
            return offset + k + (excludeId == null ? 0 : 1);
        }
    }

    /**
     * One result.
     *
     * @param metadata its metadata, or null when not asked for
     * @param duplicates its recorded duplicates, or null when not asked for
     * @param vector its stored vector, or null when not asked for
     * @param thumbnail whether its segment has thumbnails, or null when not asked for
     */
    public record Hit(
            String id,
            String url,
            float score,
            int shard,
            Map<String, String> metadata,
            List<DuplicateRow> duplicates,
            float[] vector,
            Boolean thumbnail) {}

    private final ExecutorService shardPool;

    public Searcher(ExecutorService shardPool) {
        this.shardPool = shardPool;
    }

    public List<Hit> search(Searchable index, Query q) throws InterruptedException {
        return searchAll(index, List.of(q)).get(0);
    }

    /**
     * Answers several queries. Each shard is searched in one task for all of them, its exact queries in one pass
     * over its vectors (a pass answers up to 16 at once), so a batch of exact queries costs about what one does.
     */
    public List<List<Hit>> searchAll(Searchable index, List<Query> queries) throws InterruptedException {
        List<ShardIndex> shards = new ArrayList<>(index.shards().values());
        List<List<TopK.Entry>> merged = new ArrayList<>();
        queries.forEach(q -> merged.add(new ArrayList<>()));
        if (shards.size() == 1) {
            add(merged, searchShard(shards.get(0), queries));
        } else {
            List<Future<List<List<TopK.Entry>>>> parts = new ArrayList<>();
            for (ShardIndex s : shards) {
                parts.add(shardPool.submit(() -> searchShard(s, queries)));
            }
            for (Future<List<List<TopK.Entry>>> f : parts) {
                try {
                    add(merged, f.get());
                } catch (ExecutionException e) {
                    throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
                }
            }
        }
        List<List<Hit>> out = new ArrayList<>(queries.size());
        for (int i = 0; i < queries.size(); i++) {
            out.add(hits(index, queries.get(i), merged.get(i)));
        }
        return out;
    }

    private static void add(List<List<TopK.Entry>> merged, List<List<TopK.Entry>> part) {
        for (int i = 0; i < merged.size(); i++) {
            merged.get(i).addAll(part.get(i));
        }
    }

    /** The page of results a query asked for, from every shard's best rows. */
    private static List<Hit> hits(Searchable index, Query q, List<TopK.Entry> merged) {
        merged.sort(TopK::compare);
        List<Hit> hits = new ArrayList<>(q.k());
        int skipped = 0;
        for (TopK.Entry e : merged) {
            if (hits.size() == q.k() || e.score() < q.minScore()) {
                break;
            }
            ShardIndex shard = index.shards().get(e.shard());
            String id = shard.rows().id(e.ord());
            if (id.equals(q.excludeId())) {
                continue;
            }
            if (skipped < q.offset()) {
                skipped++;
                continue;
            }
            Set<Field> f = q.fields();
            hits.add(new Hit(
                    id,
                    shard.rows().url(e.ord()),
                    e.score(),
                    e.shard(),
                    f.contains(Field.METADATA) ? shard.rows().metadata(e.ord()) : null,
                    f.contains(Field.DUPLICATES) ? index.duplicatesOf().getOrDefault(id, List.of()) : null,
                    f.contains(Field.VECTOR) ? shard.vector(e.ord()) : null,
                    f.contains(Field.THUMBNAIL_URL) ? shard.hasThumbnail(e.ord()) : null));
        }
        return hits;
    }

    /** One shard's best rows for each query: the exact ones together, the approximate ones one by one. */
    private static List<List<TopK.Entry>> searchShard(ShardIndex shard, List<Query> queries)
            throws InterruptedException {
        List<List<TopK.Entry>> out = new ArrayList<>(queries.size());
        List<Integer> exact = new ArrayList<>();
        BitSet[] accepts = new BitSet[queries.size()];
        for (int i = 0; i < queries.size(); i++) {
            Query q = queries.get(i);
            accepts[i] = q.filter() == null ? null : q.filter().matches(shard);
            out.add(null);
            if (q.mode() == Mode.EXACT) {
                exact.add(i);
            } else {
                out.set(i, shard.approximate(q.vector(), q.depth(), q.ef(), accepts[i]));
            }
        }
        if (exact.size() == 1) {
            int i = exact.get(0);
            out.set(i, shard.exact(queries.get(i).vector(), queries.get(i).depth(), accepts[i]));
        } else if (!exact.isEmpty()) {
            float[][] vectors = new float[exact.size()][];
            int[] depths = new int[exact.size()];
            BitSet[] filters = new BitSet[exact.size()];
            for (int j = 0; j < exact.size(); j++) {
                Query q = queries.get(exact.get(j));
                vectors[j] = q.vector();
                depths[j] = q.depth();
                filters[j] = accepts[exact.get(j)];
            }
            List<List<TopK.Entry>> answers = shard.exactAll(vectors, depths, filters);
            for (int j = 0; j < exact.size(); j++) {
                out.set(exact.get(j), answers.get(j));
            }
        }
        return out;
    }
}
