package io.imgindex.server.load;

import io.imgindex.embed.ModelCard;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.Manifest;
import io.imgindex.server.search.ShardIndex;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * One generation in memory: the shards this server serves, an id lookup, and the duplicates recorded against
 * its items. Immutable; queries hold a reference to the instance they started on, so a swap never disturbs them.
 *
 * @param manifest the generation's manifest
 * @param model the card of the model that made the vectors (this server has it)
 * @param shards the loaded shards by number
 * @param locations where each id lives: {@code shard << 32 | row}
 * @param duplicatesOf duplicates by the id they duplicate (ids of loaded shards only)
 * @param duplicates duplicates by their own id
 * @param stats what loading took
 */
public record LoadedIndex(
        Manifest manifest,
        ModelCard model,
        SortedMap<Integer, ShardIndex> shards,
        Map<String, Long> locations,
        Map<String, List<DuplicateRow>> duplicatesOf,
        Map<String, DuplicateRow> duplicates,
        Stats stats) {

    /**
     * @param vectors rows loaded
     * @param bytes bytes read and verified
     * @param read time to read, verify and parse the files
     * @param graphs time to build the HNSW graphs
     * @param loadedAt when the generation was ready
     */
    public record Stats(long vectors, long bytes, Duration read, Duration graphs, Instant loadedAt) {}

    /** Where an id lives in this generation. */
    public record Location(ShardIndex shard, int row) {}

    public long generation() {
        return manifest.generation();
    }

    public int dimension() {
        return manifest.model().dimension();
    }

    public Optional<Location> find(String id) {
        Long packed = locations.get(id);
        if (packed == null) {
            return Optional.empty();
        }
        return Optional.of(new Location(shards.get((int) (packed >>> 32)), (int) (long) packed));
    }

    public long vectors() {
        return stats.vectors();
    }
}
