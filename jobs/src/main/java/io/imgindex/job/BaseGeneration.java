package io.imgindex.job;

import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.Generations;
import java.io.IOException;
import java.util.Optional;

/**
 * The committed generation a run builds on: a fresh stream's base ({@code --base-generation}) or the generation a
 * BATCH run appends to ({@code --append-to}). Checked before the job starts: committed, made by the job's model,
 * with the job's number of shards, and with segments (their rows are listed as they are).
 */
final class BaseGeneration {

    private BaseGeneration() {}

    /**
     * The generation {@code wanted} names ({@code latest}, {@code none} or a number), or 0 for none (also for
     * {@code latest} of an index with no generation yet).
     *
     * @param flag the flag that named it, for messages
     * @param withoutIt how to do without a base, for messages ("give --base-generation none")
     * @throws IllegalArgumentException naming the flag when that generation cannot be built on
     */
    static long resolve(String flag, String wanted, String withoutIt, GenerationTarget target) throws IOException {
        if (wanted.equals("none")) {
            return 0;
        }
        long n;
        if (wanted.equals("latest")) {
            Optional<LatestPointer> latest = Generations.readLatest(target.indexRoot());
            if (latest.isEmpty()) {
                return 0; // a new index
            }
            n = latest.get().generation();
        } else {
            n = Long.parseLong(wanted);
        }
        Manifest m = manifest(target, n);
        if (m == null) {
            throw new IllegalArgumentException(flag + " " + wanted + ": generation " + n + " of " + target.indexRoot()
                    + " is not committed (no readable manifest)");
        }
        if (!m.model().id().equals(target.modelId()) || m.model().dimension() != target.dimension()) {
            throw new IllegalArgumentException(flag + " " + wanted + ": generation " + n + " was made by"
                    + " model " + m.model().id() + " (" + m.model().dimension() + " dimensions), this job embeds with "
                    + target.modelId() + ": backfill into a new index name instead, or " + withoutIt);
        }
        if (m.shards() != target.shards()) {
            throw new IllegalArgumentException(flag + " " + wanted + ": generation " + n + " has " + m.shards()
                    + " shards, this job writes " + target.shards() + " (--shards)");
        }
        if (!m.hasSegments()) {
            throw new IllegalArgumentException(flag + " " + wanted + ": generation " + n + " has format"
                    + " version " + m.formatVersion() + " (flat index files, no segments): make a segmented"
                    + " generation of it first with 'imgindex compact', or " + withoutIt);
        }
        return n;
    }

    private static Manifest manifest(GenerationTarget target, long generation) {
        try {
            return Generations.readManifest(Generations.manifestPath(target.indexRoot(), generation));
        } catch (IOException | RuntimeException e) {
            return null; // not there, or unreadable: not committed
        }
    }
}
