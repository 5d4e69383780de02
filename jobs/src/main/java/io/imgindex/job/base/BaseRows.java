package io.imgindex.job.base;

import io.imgindex.dedup.BaseKeys;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.output.FlinkInputFile;
import io.imgindex.output.Generations;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.apache.flink.core.fs.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * The indexed rows of the generation a stream builds on, read for their keys: ids (with their URLs) for the
 * unique-id step, SHA-256s (with their ids) for the exact-copy step. Only three string columns of each segment's
 * rows file are read (Parquet projection), through Flink's file systems, so S3 works as for every other read.
 */
public final class BaseRows implements BaseKeys.Source {

    private static final long serialVersionUID = 1L;

    /** What the keys are. */
    public enum Key {
        /** The item's id, with its URL. */
        ID,
        /** The SHA-256 of its bytes, with its id. */
        SHA256
    }

    private static final String COLUMNS = "message base_keys { required binary id (STRING); required binary url"
            + " (STRING); required binary sha256 (STRING); }";

    private final String indexRoot;
    private final long generation;
    private final Key key;

    /**
     * @param indexRoot the index's folder ({@code --output}/{@code --name}), as a URI
     * @param generation the generation a fresh stream builds on, 0 for none
     */
    public BaseRows(String indexRoot, long generation, Key key) {
        this.indexRoot = indexRoot;
        this.generation = generation;
        this.key = key;
    }

    @Override
    public long generation() {
        return generation;
    }

    @Override
    public BaseKeys load(long base, Predicate<String> mine) throws IOException {
        Path root = new Path(indexRoot);
        Manifest m = Generations.readManifest(Generations.manifestPath(root, base));
        BaseKeys.Builder keys = new BaseKeys.Builder();
        for (Path file : rowsFiles(root, m)) {
            try (ParquetReader<Group> reader = columns(file, COLUMNS)) {
                for (Group g; (g = reader.read()) != null; ) {
                    String id = g.getString("id", 0);
                    if (key == Key.ID) {
                        if (mine.test(id)) {
                            keys.add(id, g.getString("url", 0));
                        }
                    } else {
                        String sha256 = g.getString("sha256", 0);
                        if (mine.test(sha256)) {
                            keys.add(sha256, id);
                        }
                    }
                }
            }
        }
        return keys.build();
    }

    /** A reader of some columns of a rows file ({@code schema}: a Parquet message type naming them). */
    static ParquetReader<Group> columns(Path file, String schema) throws IOException {
        Configuration conf = new Configuration(false);
        conf.set(ReadSupport.PARQUET_READ_SCHEMA, schema);
        return new ParquetReader.Builder<Group>(new FlinkInputFile(file)) {
            @Override
            protected ReadSupport<Group> getReadSupport() {
                return new GroupReadSupport();
            }
        }.withConf(conf).build();
    }

    /** The rows file of every segment of a generation, from the index root. */
    static List<Path> rowsFiles(Path root, Manifest m) {
        List<Path> files = new ArrayList<>();
        for (SegmentInfo s : m.segments()) {
            files.add(Generations.listedPath(root, m, m.filesOf(s).get(ManifestFile.ROWS)));
        }
        return files;
    }
}
