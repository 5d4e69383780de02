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
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ManifestFile(String path, String table, Integer shard, long rows, long bytes, String sha256) {

    public ManifestFile {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(sha256, "sha256");
        String problem = IndexLayout.problemWithFilePath(path);
        if (problem != null) {
            throw new IndexFormatException("file path '" + path + "' " + problem);
        }
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
