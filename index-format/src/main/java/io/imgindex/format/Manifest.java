package io.imgindex.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The manifest of a generation, {@code generation=<n>/_manifest.json}: written last, so its presence marks a
 * complete generation, and authoritative, so a reader reads exactly the files it lists and checks each one's
 * row count, size and SHA-256 against it.
 *
 * @param format always {@link FormatVersion#FORMAT_NAME}
 * @param formatVersion the format version the generation was written with
 * @param indexName the index name
 * @param generation the generation number
 * @param model the model that made the vectors
 * @param shards the number of shards of the index table ({@code shard=0} to {@code shard=<shards-1>})
 * @param sharding the shard function, {@link ShardAssignment#FUNCTION}
 * @param counts what happened to every input
 * @param metadataColumns the metadata keys found in the inputs and their inferred type ({@code number} when
 *     every value parses as a number, else {@code string}), sorted by key
 * @param files every data file, sorted by path
 * @param run how the generation was made
 */
public record Manifest(
        String format,
        int formatVersion,
        String indexName,
        long generation,
        ModelInfo model,
        int shards,
        String sharding,
        Counts counts,
        Map<String, String> metadataColumns,
        List<ManifestFile> files,
        RunInfo run) {

    public Manifest {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(indexName, "indexName");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(sharding, "sharding");
        Objects.requireNonNull(counts, "counts");
        metadataColumns =
                metadataColumns == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metadataColumns));
        List<ManifestFile> sorted = new ArrayList<>(files == null ? List.of() : files);
        sorted.sort((a, b) -> a.path().compareTo(b.path()));
        files = Collections.unmodifiableList(sorted);
    }

    /** A manifest of the current format version. */
    public static Manifest current(
            String indexName,
            long generation,
            ModelInfo model,
            int shards,
            Counts counts,
            Map<String, String> metadataColumns,
            List<ManifestFile> files,
            RunInfo run) {
        return new Manifest(
                FormatVersion.FORMAT_NAME,
                FormatVersion.CURRENT,
                indexName,
                generation,
                model,
                shards,
                ShardAssignment.FUNCTION,
                counts,
                metadataColumns,
                files,
                run);
    }

    /** The files of one table. */
    public List<ManifestFile> filesOf(Table table) {
        return files.stream().filter(f -> f.tableKind() == table).toList();
    }

    /** Rows listed for a table, summed over its files. */
    public long rowsOf(Table table) {
        return filesOf(table).stream().mapToLong(ManifestFile::rows).sum();
    }

    /**
     * Checks what a reader relies on: a format version this code reads, shard numbers in range, and file row
     * counts that agree with the counts.
     *
     * @throws IndexFormatException naming what is wrong
     */
    public Manifest validate() {
        if (!FormatVersion.FORMAT_NAME.equals(format)) {
            throw new IndexFormatException("not an imgindex manifest: format is '" + format + "'");
        }
        if (!FormatVersion.isSupported(formatVersion)) {
            throw new IndexFormatException("unsupported format version "
                    + formatVersion
                    + " (this reader knows version "
                    + FormatVersion.CURRENT
                    + ")");
        }
        if (!ShardAssignment.FUNCTION.equals(sharding)) {
            throw new IndexFormatException("unknown shard function '" + sharding + "'");
        }
        if (shards < 1) {
            throw new IndexFormatException("shards must be at least 1, manifest says " + shards);
        }
        for (ManifestFile f : files) {
            Table t = f.tableKind();
            if (t == Table.INDEX && (f.shard() == null || f.shard() < 0 || f.shard() >= shards)) {
                throw new IndexFormatException(
                        "file " + f.path() + " has shard " + f.shard() + " outside [0, " + shards + ")");
            }
        }
        check(Table.INDEX, counts.indexed());
        check(Table.DUPLICATES, counts.duplicates());
        check(Table.FAILURES, counts.failed());
        return this;
    }

    private void check(Table table, long expected) {
        long listed = rowsOf(table);
        if (listed != expected) {
            throw new IndexFormatException(
                    "manifest lists " + listed + " rows of " + table.dirName() + " but its counts say " + expected);
        }
    }
}
