package io.imgindex.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * A data file of a generation, as listed in its manifest.
 *
 * @param path the path relative to the generation folder, e.g. {@code shard=0/part-00000-0-0.parquet}; or, for a
 *     file shared by several generations (a streaming run's files, which every later commit lists again), relative
 *     to the index root behind one leading {@code ../}: {@code ../streams/<run>/shard=0/part-….parquet}. No other
 *     {@code ..} segment, no absolute path, no scheme.
 * @param table the table the file belongs to: {@code index}, {@code duplicates} or {@code failures}
 * @param shard the shard of an index file; null for the other tables
 * @param rows the number of rows in the file
 * @param bytes the size of the file in bytes
 * @param sha256 lowercase hex SHA-256 of the whole file
 * @param segment format version 2: the segment an index file belongs to; null for the other tables
 * @param kind format version 2, index files: {@value #ROWS} (the Parquet rows), {@value #GRAPH} (the JVector
 *     graph with the full vectors), {@value #PQ} (the compressed vectors) or {@value #THUMBNAILS} (small JPEGs, row by
 *     row); null means {@value #ROWS}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestFile(
        String path, String table, Integer shard, long rows, long bytes, String sha256, String segment, String kind) {

    /** A segment's Parquet rows, the only kind that counts towards a table's rows. */
    public static final String ROWS = "rows";

    /** A segment's JVector on-disk graph. */
    public static final String GRAPH = "graph";

    /** A segment's product-quantized vectors. */
    public static final String PQ = "pq";

    /** A segment's thumbnails, row by row (optional). */
    public static final String THUMBNAILS = "thumbnails";

    public ManifestFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(sha256, "sha256");
        String problem = IndexLayout.problemWithFilePath(path);
        if (problem != null) {
            throw new IndexFormatException("file path '" + path + "' " + problem);
        }
        if (kind != null && !kind.equals(ROWS) && !kind.equals(GRAPH) && !kind.equals(PQ) && !kind.equals(THUMBNAILS)) {
            throw new IndexFormatException("file " + path + " has unknown kind '" + kind + "'");
        }
        if (segment != null) {
            SegmentInfo.checkId(segment);
        }
    }

    /** A data file of a table (format version 1 index files, and every duplicates and failures file). */
    public ManifestFile(String path, String table, Integer shard, long rows, long bytes, String sha256) {
        this(path, table, shard, rows, bytes, sha256, null, null);
    }

    /** The file's kind, {@value #ROWS} when not given. */
    public String kindOrRows() {
        return kind == null ? ROWS : kind;
    }

    /** Whether it holds a table's rows (a Parquet file), not a segment's graph or compressed vectors. */
    public boolean holdsRows() {
        return kind == null || kind.equals(ROWS);
    }

    /** The same file as part of a segment. */
    public ManifestFile inSegment(String segmentId, String fileKind) {
        return new ManifestFile(path, table, shard, rows, bytes, sha256, segmentId, fileKind);
    }

    /** Whether the file lives outside the generation folder (under the index root: {@code ../…}). */
    public boolean shared() {
        return path.startsWith(IndexLayout.INDEX_ROOT_PREFIX);
    }

    /** The table of this file. */
    public Table tableKind() {
        return Table.ofName(table);
    }
}
