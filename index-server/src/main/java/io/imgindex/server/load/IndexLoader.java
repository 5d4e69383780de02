package io.imgindex.server.load;

import io.imgindex.embed.ModelCard;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.InMemoryInputFile;
import io.imgindex.format.IndexColumns;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.Table;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.ShardIndex;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one generation: manifest first (an unknown format version or a model this server does not have is
 * refused before anything else is read), then the listed files of the served shards in parallel, each read once,
 * checked against its manifest entry (size, SHA-256, row count) and parsed into arrays; then each shard's HNSW
 * graph. Any mismatch refuses the whole generation.
 */
public final class IndexLoader {

    private static final Logger LOG = LoggerFactory.getLogger(IndexLoader.class);

    /** Finds the card of a model by id, or explains why this server does not have it. */
    @FunctionalInterface
    public interface Models {
        ModelCard card(String modelId) throws IOException;
    }

    private final GenerationReader reader;
    private final Set<Integer> wantedShards;
    private final int threads;
    private final HnswParams hnsw;
    private final Models models;

    /**
     * @param wantedShards the shards to serve, or null for all
     * @param hnsw graph parameters, or null to serve exact search only
     */
    public IndexLoader(
            GenerationReader reader, Set<Integer> wantedShards, int threads, HnswParams hnsw, Models models) {
        this.reader = reader;
        this.wantedShards = wantedShards;
        this.threads = threads;
        this.hnsw = hnsw;
        this.models = models;
    }

    public GenerationReader reader() {
        return reader;
    }

    /**
     * @throws IndexFormatException if the generation is refused (its message says why)
     */
    public LoadedIndex load(long generation) throws IOException {
        long start = System.nanoTime();
        Manifest m = reader.manifest(generation);
        ModelCard model;
        try {
            model = models.card(m.model().id());
        } catch (IOException e) {
            throw new IndexFormatException(
                    "generation " + generation + " was made by model "
                            + m.model().id() + ", which this server does not have: " + e.getMessage(),
                    e);
        }
        if (model.dimension() != m.model().dimension()) {
            throw new IndexFormatException(
                    "generation " + generation + " has " + m.model().dimension() + "-dimensional vectors, but model "
                            + model.id() + " here makes " + model.dimension());
        }
        List<Integer> shards = new ArrayList<>();
        for (int s = 0; s < m.shards(); s++) {
            if (wantedShards == null || wantedShards.contains(s)) {
                shards.add(s);
            }
        }
        if (wantedShards != null && !wantedShards.stream().allMatch(s -> s >= 0 && s < m.shards())) {
            throw new IndexFormatException(
                    "generation " + generation + " has " + m.shards() + " shards, asked to serve " + wantedShards);
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "imgindex-load");
            t.setDaemon(true);
            return t;
        });
        try {
            Map<ManifestFile, Future<IndexColumns>> parts = new HashMap<>();
            long bytes = 0;
            for (ManifestFile f : m.filesOf(Table.INDEX)) {
                if (shards.contains(f.shard())) {
                    bytes += f.bytes();
                    parts.put(
                            f,
                            pool.submit(() -> IndexColumns.read(
                                    new InMemoryInputFile(reader.readVerified(m, f)),
                                    m.model().dimension(),
                                    f.rows())));
                }
            }
            List<Future<List<DuplicateRow>>> dupParts = new ArrayList<>();
            for (ManifestFile f : m.filesOf(Table.DUPLICATES)) {
                bytes += f.bytes();
                dupParts.add(pool.submit(
                        () -> GenerationReader.parseRows(reader.readVerified(m, f), DuplicateRow::fromGroup)));
            }
            Map<Integer, List<IndexColumns>> byShard = new TreeMap<>();
            for (ManifestFile f : m.filesOf(Table.INDEX)) {
                if (parts.containsKey(f)) {
                    byShard.computeIfAbsent(f.shard(), k -> new ArrayList<>()).add(get(parts.get(f)));
                }
            }
            List<DuplicateRow> duplicateRows = new ArrayList<>();
            for (Future<List<DuplicateRow>> d : dupParts) {
                duplicateRows.addAll(get(d));
            }
            long read = System.nanoTime();

            SortedMap<Integer, ShardIndex> loaded = new TreeMap<>();
            Map<String, Long> locations = new HashMap<>();
            long vectors = 0;
            for (int s : shards) {
                IndexColumns rows = IndexColumns.concat(
                        byShard.getOrDefault(s, List.of()), m.model().dimension());
                ShardIndex index = ShardIndex.build(s, rows, hnsw);
                loaded.put(s, index);
                for (int i = 0; i < rows.size(); i++) {
                    locations.put(rows.id(i), ((long) s << 32) | i);
                }
                vectors += rows.size();
            }
            Map<String, List<DuplicateRow>> duplicatesOf = new HashMap<>();
            Map<String, DuplicateRow> duplicates = new HashMap<>();
            for (DuplicateRow d : duplicateRows) {
                if (shards.contains(ShardAssignment.shardOf(d.duplicateOf(), m.shards()))) {
                    duplicatesOf
                            .computeIfAbsent(d.duplicateOf(), k -> new ArrayList<>())
                            .add(d);
                    duplicates.put(d.id(), d);
                }
            }
            long end = System.nanoTime();
            LoadedIndex.Stats stats = new LoadedIndex.Stats(
                    vectors, bytes, Duration.ofNanos(read - start), Duration.ofNanos(end - read), Instant.now());
            double seconds = (read - start) / 1e9;
            LOG.info(
                    "Loaded generation {} of {}: {} vectors in shards {}, {} MB read and verified in {} s ({} MB/s),"
                            + " graphs built in {} s",
                    generation,
                    m.indexName(),
                    vectors,
                    shards,
                    String.format("%.1f", bytes / 1e6),
                    String.format("%.2f", seconds),
                    String.format("%.1f", bytes / 1e6 / Math.max(seconds, 1e-9)),
                    String.format("%.2f", (end - read) / 1e9));
            return new LoadedIndex(
                    m,
                    model,
                    Collections.unmodifiableSortedMap(loaded),
                    Collections.unmodifiableMap(locations),
                    Collections.unmodifiableMap(duplicatesOf),
                    Collections.unmodifiableMap(duplicates),
                    stats);
        } finally {
            pool.shutdownNow();
        }
    }

    private static <T> T get(Future<T> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while loading", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(cause);
        }
    }
}
