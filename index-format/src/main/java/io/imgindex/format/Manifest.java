package io.imgindex.format;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
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
 * @param files every data file, sorted by path (in version 2, every segment's files too)
 * @param run how the generation was made
 * @param segments version 2: the index table's segments, sorted by shard then id; empty in version 1
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
        RunInfo run,
        List<SegmentInfo> segments) {

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
        List<SegmentInfo> bySegment = new ArrayList<>(segments == null ? List.of() : segments);
        bySegment.sort(Comparator.comparingInt(SegmentInfo::shard).thenComparing(SegmentInfo::id));
        segments = Collections.unmodifiableList(bySegment);
    }

    /** A manifest of format version 1 (flat index files), as written before segments. */
    public static Manifest flat(
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
                FormatVersion.FLAT_FILES,
                indexName,
                generation,
                model,
                shards,
                ShardAssignment.FUNCTION,
                counts,
                metadataColumns,
                files,
                run,
                List.of());
    }

    /** A manifest of the current format version: the index table as segments. */
    public static Manifest current(
            String indexName,
            long generation,
            ModelInfo model,
            int shards,
            Counts counts,
            Map<String, String> metadataColumns,
            List<ManifestFile> files,
            RunInfo run,
            List<SegmentInfo> segments) {
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
                run,
                segments);
    }

    /** Whether the index table is made of segments (format version 2), not flat files. */
    public boolean hasSegments() {
        return formatVersion >= FormatVersion.CURRENT;
    }

    /** The Parquet files of one table (for the index table of version 2: each segment's rows). */
    public List<ManifestFile> filesOf(Table table) {
        return files.stream()
                .filter(f -> f.tableKind() == table && f.holdsRows())
                .toList();
    }

    /** The thumbnail pack beside a duplicates file, if the job wrote one. */
    public Optional<ManifestFile> thumbnailsBeside(ManifestFile rowsFile) {
        String path = IndexLayout.thumbnailsBeside(rowsFile.path());
        return files.stream()
                .filter(f ->
                        ManifestFile.THUMBNAILS.equals(f.kind()) && f.path().equals(path))
                .findFirst();
    }

    /** The files of one segment, by kind. */
    public Map<String, ManifestFile> filesOf(SegmentInfo segment) {
        Map<String, ManifestFile> out = new TreeMap<>();
        for (ManifestFile f : files) {
            if (segment.id().equals(f.segment())) {
                out.put(f.kindOrRows(), f);
            }
        }
        return out;
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
                    + " (this reader knows versions "
                    + FormatVersion.supported()
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
        if (hasSegments()) {
            validateSegments();
        } else if (!segments.isEmpty()) {
            throw new IndexFormatException(
                    "format version " + formatVersion + " has no segments, but " + segments.size() + " are listed");
        }
        return this;
    }

    private void validateSegments() {
        Set<String> ids = new HashSet<>();
        for (SegmentInfo s : segments) {
            if (!ids.add(s.id())) {
                throw new IndexFormatException("segment " + s.id() + " is listed twice");
            }
            if (s.shard() >= shards) {
                throw new IndexFormatException(
                        "segment " + s.id() + " has shard " + s.shard() + " outside [0, " + shards + ")");
            }
            Map<String, ManifestFile> own = filesOf(s);
            ManifestFile rows = own.get(ManifestFile.ROWS);
            if (rows == null || !own.containsKey(ManifestFile.GRAPH)) {
                throw new IndexFormatException(
                        "segment " + s.id() + " needs a rows and a graph file, lists " + own.keySet());
            }
            if (s.graph().compressed() != own.containsKey(ManifestFile.PQ)) {
                throw new IndexFormatException("segment " + s.id()
                        + (s.graph().compressed()
                                ? " walks compressed vectors but lists no pq file"
                                : " lists a pq file its graph does not use"));
            }
            if (rows.rows() != s.rows()) {
                throw new IndexFormatException(
                        "segment " + s.id() + " has " + s.rows() + " rows, its rows file " + rows.rows());
            }
            ManifestFile thumbnails = own.get(ManifestFile.THUMBNAILS);
            if (thumbnails != null && thumbnails.rows() != s.rows()) {
                throw new IndexFormatException(
                        "segment " + s.id() + " has " + s.rows() + " rows, its thumbnails " + thumbnails.rows());
            }
            for (ManifestFile f : own.values()) {
                if (f.tableKind() != Table.INDEX || !Integer.valueOf(s.shard()).equals(f.shard())) {
                    throw new IndexFormatException("file " + f.path() + " of segment " + s.id()
                            + " must be an index file of shard " + s.shard());
                }
            }
        }
        for (ManifestFile f : files) {
            if (f.tableKind() == Table.INDEX && (f.segment() == null || !ids.contains(f.segment()))) {
                throw new IndexFormatException("index file " + f.path() + " belongs to no listed segment");
            }
        }
    }

    private void check(Table table, long expected) {
        long listed = rowsOf(table);
        if (listed != expected) {
            throw new IndexFormatException(
                    "manifest lists " + listed + " rows of " + table.dirName() + " but its counts say " + expected);
        }
    }
}
