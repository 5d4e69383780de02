package io.imgindex.server.load;

import io.imgindex.format.DuplicateRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.InMemoryInputFile;
import io.imgindex.format.IndexColumns;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.Table;
import io.imgindex.format.segment.SegmentGraph;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.MappedSegment;
import io.imgindex.server.search.Segment;
import io.imgindex.server.search.ShardIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.parquet.io.LocalInputFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads one generation: manifest first (an unknown format version or a model this server does not have is refused
 * before anything else is read), then the files of the served shards in parallel, each checked against its
 * manifest entry (size, SHA-256, row count). Any mismatch refuses the whole generation.
 *
 * <p>Format version 2 (segments): each segment's files come from the {@link SegmentCache} (verified, local), its
 * graph and vectors are mapped, its rows read without their vectors. A segment an earlier generation already
 * loaded is reused as it is, not read again, so a stream's new commit costs only its new segments, and switching
 * between generations that share their segments costs nothing but the swap. Format version 1 (flat files, no
 * graph): the rows and vectors are read into the heap and each shard's graph is built, as servers did before
 * segments.
 *
 * <p>Thread-safe for one load at a time (the server's generation switch is serialised).
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
    private final SegmentCache cache;
    private final GraphWalk walk;
    /** Segments loaded for the generations kept, by segment id and content. */
    private final Map<String, Segment> segments = new ConcurrentHashMap<>();
    /** Parsed duplicates files, by content. */
    private final Map<String, List<DuplicateRow>> duplicateFiles = new ConcurrentHashMap<>();

    /**
     * @param wantedShards the shards to serve, or null for all
     * @param hnsw graph parameters for format version 1 generations, or null to serve them by exact search only
     * @param cache where segment files are kept locally
     * @param walk what graph walks score: PQ codes, full vectors, or the one that fits (see {@link GraphWalk})
     */
    public IndexLoader(
            GenerationReader reader,
            Set<Integer> wantedShards,
            int threads,
            HnswParams hnsw,
            Models models,
            SegmentCache cache,
            GraphWalk walk) {
        this.walk = walk;
        this.reader = reader;
        this.wantedShards = wantedShards;
        this.threads = threads;
        this.hnsw = hnsw;
        this.models = models;
        this.cache = cache;
    }

    public GenerationReader reader() {
        return reader;
    }

    public SegmentCache cache() {
        return cache;
    }

    /**
     * Keeps what the given generations use and forgets the rest: segments no longer referenced are dropped (their
     * mappings go when the last query holding them ends), their blobs may be evicted from the cache.
     */
    public void retain(List<LoadedIndex> kept) {
        Set<String> segmentKeys = new HashSet<>();
        Set<String> fileHashes = new HashSet<>();
        for (LoadedIndex index : kept) {
            for (SegmentInfo s : index.manifest().segments()) {
                Map<String, ManifestFile> files = index.manifest().filesOf(s);
                segmentKeys.add(key(s, files));
                files.values().forEach(f -> fileHashes.add(f.sha256()));
            }
            index.manifest().filesOf(Table.DUPLICATES).forEach(f -> fileHashes.add(f.sha256()));
        }
        segments.keySet().retainAll(segmentKeys);
        duplicateFiles.keySet().retainAll(fileHashes);
        cache.pin(fileHashes);
    }

    /** How many segments are open now (for tests and statistics). */
    public int openSegments() {
        return segments.size();
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
        if (wantedShards != null && !wantedShards.stream().allMatch(s -> s >= 0 && s < m.shards())) {
            throw new IndexFormatException(
                    "generation " + generation + " has " + m.shards() + " shards, asked to serve " + wantedShards);
        }
        List<Integer> shards = new ArrayList<>();
        for (int s = 0; s < m.shards(); s++) {
            if (wantedShards == null || wantedShards.contains(s)) {
                shards.add(s);
            }
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "imgindex-load");
            t.setDaemon(true);
            return t;
        });
        try {
            return m.hasSegments()
                    ? loadSegments(m, model, shards, pool, start)
                    : loadFlat(m, model, shards, pool, start);
        } finally {
            pool.shutdownNow();
        }
    }

    private LoadedIndex loadSegments(
            Manifest m, ModelCard model, List<Integer> shards, ExecutorService pool, long start) throws IOException {
        long readBefore = cache.bytesRead();
        Map<SegmentInfo, Future<Segment>> opening = new LinkedHashMap<>();
        Map<SegmentInfo, Segment> ready = new HashMap<>();
        int reused = 0;
        long vectorBytes = 0;
        for (SegmentInfo s : m.segments()) {
            if (shards.contains(s.shard())) {
                vectorBytes += s.rows() * 4L * m.model().dimension();
            }
        }
        boolean pqWalk = walk.usesPq(vectorBytes);
        for (SegmentInfo s : m.segments()) {
            if (!shards.contains(s.shard())) {
                continue;
            }
            Map<String, ManifestFile> files = m.filesOf(s);
            Segment known = segments.get(key(s, files));
            if (known != null) {
                ready.put(s, known);
                reused++;
            } else {
                opening.put(s, pool.submit(() -> open(m, s, files, pqWalk)));
            }
        }
        Future<Duplicates> duplicates = pool.submit(() -> duplicates(m, shards));
        for (Map.Entry<SegmentInfo, Future<Segment>> e : opening.entrySet()) {
            Segment opened = get(e.getValue());
            ready.put(e.getKey(), opened);
            segments.put(key(e.getKey(), m.filesOf(e.getKey())), opened);
        }
        Duplicates dups = get(duplicates);
        SortedMap<Integer, ShardIndex> loaded = new TreeMap<>();
        long vectors = 0;
        long heap = 0;
        long mapped = 0;
        for (int shard : shards) {
            List<Segment> ofShard = new ArrayList<>();
            for (SegmentInfo s : m.segments()) {
                if (s.shard() == shard) {
                    Segment seg = ready.get(s);
                    ofShard.add(seg);
                    vectors += seg.size();
                    heap += seg.heapBytes();
                    mapped += seg.mappedBytes();
                }
            }
            loaded.put(shard, ShardIndex.of(shard, ofShard));
        }
        long end = System.nanoTime();
        long bytes = cache.bytesRead() - readBefore;
        LoadedIndex.Stats stats = new LoadedIndex.Stats(
                vectors,
                bytes,
                Duration.ofNanos(end - start),
                Duration.ZERO,
                Instant.now(),
                opening.size(),
                reused,
                heap,
                mapped,
                pqWalk ? "pq" : "full");
        LOG.info(
                "Loaded generation {} of {}: {} vectors in shards {}, {} segments ({} opened, {} already loaded),"
                        + " {} MB read and verified, {} MB mapped, about {} MB of heap, in {} s",
                m.generation(),
                m.indexName(),
                vectors,
                shards,
                opening.size() + reused,
                opening.size(),
                reused,
                String.format("%.1f", bytes / 1e6),
                String.format("%.1f", mapped / 1e6),
                String.format("%.1f", heap / 1e6),
                String.format("%.2f", (end - start) / 1e9));
        return new LoadedIndex(
                m,
                model,
                Collections.unmodifiableSortedMap(loaded),
                Collections.unmodifiableMap(dups.of),
                Collections.unmodifiableMap(dups.byId),
                Collections.unmodifiableMap(dups.thumbnails),
                stats);
    }

    /** A segment's files verified and local, its graph and vectors mapped, its rows read without vectors. */
    private Segment open(Manifest m, SegmentInfo s, Map<String, ManifestFile> files, boolean pqWalk)
            throws IOException {
        ManifestFile rowsFile = files.get(ManifestFile.ROWS);
        ManifestFile graphFile = files.get(ManifestFile.GRAPH);
        // Without a PQ walk the codes are not read at all: they would only take heap.
        ManifestFile pqFile = pqWalk ? files.get(ManifestFile.PQ) : null;
        Path rows = cache.local(reader, m, rowsFile);
        Path graph = cache.local(reader, m, graphFile);
        Path pq = pqFile == null ? null : cache.local(reader, m, pqFile);
        ManifestFile thumbnailsFile = files.get(ManifestFile.THUMBNAILS);
        Path thumbnails = thumbnailsFile == null ? null : cache.local(reader, m, thumbnailsFile);
        int dimension = m.model().dimension();
        IndexColumns cols = IndexColumns.read(new LocalInputFile(rows), dimension, s.rows(), false);
        SegmentGraph opened = SegmentGraph.open(graph, pq, s.rows(), dimension);
        return new MappedSegment(s.id(), cols, opened, graphFile.bytes(), thumbnails);
    }

    private record Duplicates(
            Map<String, List<DuplicateRow>> of,
            Map<String, DuplicateRow> byId,
            Map<String, LoadedIndex.PackedThumbnail> thumbnails) {}

    /** The duplicates of the items of the served shards; files already parsed for another generation are reused. */
    private Duplicates duplicates(Manifest m, List<Integer> shards) throws IOException {
        Map<String, List<DuplicateRow>> of = new HashMap<>();
        Map<String, DuplicateRow> byId = new HashMap<>();
        Map<String, LoadedIndex.PackedThumbnail> thumbnails = new HashMap<>();
        for (ManifestFile f : m.filesOf(Table.DUPLICATES)) {
            List<DuplicateRow> rows = duplicateFiles.get(f.sha256());
            if (rows == null) {
                rows = GenerationReader.parseRows(reader.readVerified(m, f), DuplicateRow::fromGroup);
                duplicateFiles.put(f.sha256(), rows);
            }
            Optional<ManifestFile> packFile = m.thumbnailsBeside(f);
            Path pack = packFile.isPresent() ? cache.local(reader, m, packFile.get()) : null;
            for (int i = 0; i < rows.size(); i++) {
                DuplicateRow d = rows.get(i);
                if (shards.contains(ShardAssignment.shardOf(d.duplicateOf(), m.shards()))) {
                    of.computeIfAbsent(d.duplicateOf(), k -> new ArrayList<>()).add(d);
                    byId.put(d.id(), d);
                    if (pack != null) {
                        thumbnails.put(d.id(), new LoadedIndex.PackedThumbnail(pack, rows.size(), i));
                    }
                }
            }
        }
        return new Duplicates(of, byId, thumbnails);
    }

    /** A format version 1 generation: every row and vector read into the heap, each shard's graph built. */
    private LoadedIndex loadFlat(Manifest m, ModelCard model, List<Integer> shards, ExecutorService pool, long start)
            throws IOException {
        LOG.info(
                "Generation {} of {} has format version {} (no segments): its rows are read into the heap and its"
                        + " graphs built now{}",
                m.generation(),
                m.indexName(),
                m.formatVersion(),
                hnsw == null ? " (no: --hnsw=false, exact search only)" : "");
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
        Future<Duplicates> duplicates = pool.submit(() -> duplicates(m, shards));
        Map<Integer, List<IndexColumns>> byShard = new TreeMap<>();
        for (ManifestFile f : m.filesOf(Table.INDEX)) {
            if (parts.containsKey(f)) {
                byShard.computeIfAbsent(f.shard(), k -> new ArrayList<>()).add(get(parts.get(f)));
            }
        }
        Duplicates dups = get(duplicates);
        long read = System.nanoTime();
        SortedMap<Integer, ShardIndex> loaded = new TreeMap<>();
        long vectors = 0;
        long heap = 0;
        for (int s : shards) {
            IndexColumns rows = IndexColumns.concat(
                    byShard.getOrDefault(s, List.of()), m.model().dimension());
            ShardIndex index = ShardIndex.build(s, rows, hnsw);
            loaded.put(s, index);
            vectors += rows.size();
            heap += index.segments().get(0).heapBytes();
        }
        long end = System.nanoTime();
        LoadedIndex.Stats stats = new LoadedIndex.Stats(
                vectors,
                bytes,
                Duration.ofNanos(read - start),
                Duration.ofNanos(end - read),
                Instant.now(),
                shards.size(),
                0,
                heap,
                0,
                "hnsw built at load");
        double seconds = (read - start) / 1e9;
        LOG.info(
                "Loaded generation {} of {}: {} vectors in shards {}, {} MB read and verified in {} s ({} MB/s),"
                        + " graphs built in {} s",
                m.generation(),
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
                Collections.unmodifiableMap(dups.of),
                Collections.unmodifiableMap(dups.byId),
                Collections.unmodifiableMap(dups.thumbnails),
                stats);
    }

    /** A loaded segment is the same when its id and its files' contents are. */
    private static String key(SegmentInfo s, Map<String, ManifestFile> files) {
        StringBuilder k = new StringBuilder(s.id());
        files.values().forEach(f -> k.append('/').append(f.sha256()));
        return k.toString();
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
