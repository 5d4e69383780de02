package io.imgindex.server.load;

import io.imgindex.format.DuplicateRow;
import io.imgindex.format.Manifest;
import io.imgindex.format.ShardAssignment;
import io.imgindex.format.segment.ThumbnailPack;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.server.search.Searchable;
import io.imgindex.server.search.ShardIndex;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * One generation as a server serves it: the shards it serves (their segments, shared with other loaded
 * generations that list them), and the duplicates recorded against its items. Immutable; queries hold a reference
 * to the instance they started on, so a swap never disturbs them.
 *
 * @param manifest the generation's manifest
 * @param model the card of the model that made the vectors (this server has it)
 * @param shards the loaded shards by number
 * @param duplicatesOf duplicates by the id they duplicate (ids of loaded shards only)
 * @param duplicates duplicates by their own id
 * @param duplicateThumbnails where the duplicates' thumbnails are, by their own id (those that have one)
 * @param stats what loading took
 */
public record LoadedIndex(
        Manifest manifest,
        ModelCard model,
        SortedMap<Integer, ShardIndex> shards,
        Map<String, List<DuplicateRow>> duplicatesOf,
        Map<String, DuplicateRow> duplicates,
        Map<String, PackedThumbnail> duplicateThumbnails,
        Stats stats)
        implements Searchable {

    /**
     * @param vectors rows loaded
     * @param bytes bytes read and verified for this generation (files it shares with one already loaded: none)
     * @param read time to read, verify and parse the files
     * @param graphs time to build graphs (format version 1 only; a version 2 generation maps the job's)
     * @param loadedAt when the generation was ready
     * @param segmentsLoaded segments opened for this generation
     * @param segmentsReused segments it shares with a generation already loaded, not read again
     * @param heapBytes what its segments hold on the heap, estimated
     * @param mappedBytes what its segments map from disk
     */
    public record Stats(
            long vectors,
            long bytes,
            Duration read,
            Duration graphs,
            Instant loadedAt,
            int segmentsLoaded,
            int segmentsReused,
            long heapBytes,
            long mappedBytes,
            String graphWalk) {}

    /** Where an id lives in this generation. */
    public record Location(ShardIndex shard, int row) {}

    /**
     * A duplicate's thumbnail: a row of the pack beside its duplicates file, in the local cache (kept there while
     * a served generation lists it). Read with a pack opened for the request: duplicates are looked at one by one.
     */
    public record PackedThumbnail(Path pack, long rows, int row) {

        public byte[] read() throws IOException {
            try (ThumbnailPack.Reader r = ThumbnailPack.Reader.open(pack, rows)) {
                return r.get(row);
            }
        }
    }

    public long generation() {
        return manifest.generation();
    }

    public int dimension() {
        return manifest.model().dimension();
    }

    /** Where an indexed item is, if it is in a shard this server serves. */
    public Optional<Location> find(String id) {
        ShardIndex shard = shards.get(ShardAssignment.shardOf(id, manifest.shards()));
        if (shard == null) {
            return Optional.empty();
        }
        int row = shard.find(id);
        return row < 0 ? Optional.empty() : Optional.of(new Location(shard, row));
    }

    public long vectors() {
        return stats.vectors();
    }
}
