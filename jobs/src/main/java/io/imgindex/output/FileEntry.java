package io.imgindex.output;

import io.imgindex.format.ManifestFile;

/** A written data file on its way from a writer task to the committer: {@link ManifestFile} as a Flink POJO. */
public class FileEntry {

    public String path;
    public String table;
    /** The shard of an index file, -1 for the other tables. */
    public int shard = -1;

    public long rows;
    public long bytes;
    public String sha256;
    /** The segment of an index file (format version 2); null for the other tables. */
    public String segment;
    /** What an index file of a segment holds: {@code rows}, {@code graph} or {@code pq}; null for the other tables. */
    public String kind;

    public FileEntry() {}

    static FileEntry of(ManifestFile f) {
        FileEntry e = new FileEntry();
        e.path = f.path();
        e.table = f.table();
        e.shard = f.shard() == null ? -1 : f.shard();
        e.rows = f.rows();
        e.bytes = f.bytes();
        e.sha256 = f.sha256();
        e.segment = f.segment();
        e.kind = f.kind();
        return e;
    }

    ManifestFile toManifestFile() {
        return new ManifestFile(path, table, shard < 0 ? null : shard, rows, bytes, sha256, segment, kind);
    }

    /** Whether it holds a table's rows (not a segment's graph or compressed vectors). */
    boolean holdsRows() {
        return kind == null || kind.equals(ManifestFile.ROWS);
    }
}
