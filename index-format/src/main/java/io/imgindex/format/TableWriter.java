package io.imgindex.format;

import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.util.Map;
import java.util.function.BiConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/**
 * Writes one Parquet data file of a table to a stream the caller opened, counting rows and hashing the bytes
 * as they go, so that the manifest entry needs no second read of the file.
 *
 * <p>Not thread-safe: one writer per file, used by one thread. The caller owns where the stream goes (a local
 * file, an S3 object) and whether it is published by a rename; {@link #finish()} closes the stream.
 *
 * @param <T> the row type: {@link IndexRow}, {@link DuplicateRow} or {@link FailureRow}
 */
public final class TableWriter<T> implements Closeable {

    /** Key-value metadata in every file footer, so a lone file still says what it is. */
    public static final String FOOTER_FORMAT_VERSION = "imgindex.format_version";

    public static final String FOOTER_TABLE = "imgindex.table";

    private final Table table;
    private final Integer shard;
    private final String relativePath;
    private final DigestingOutputFile file;
    private final ParquetWriter<T> writer;
    private long rows;
    private boolean finished;

    private TableWriter(
            Table table,
            Integer shard,
            String relativePath,
            OutputStream out,
            MessageType schema,
            BiConsumer<T, RecordConsumer> rowWriter)
            throws IOException {
        this.table = table;
        this.shard = shard;
        this.relativePath = relativePath;
        this.file = new DigestingOutputFile(out);
        RowWriteSupport<T> support = new RowWriteSupport<>(
                schema,
                rowWriter,
                Map.of(
                        FOOTER_FORMAT_VERSION, Integer.toString(FormatVersion.CURRENT),
                        FOOTER_TABLE, table.dirName()));
        this.writer = new RowBuilder<>(file, support)
                .withConf(new Configuration(false))
                .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
                .withCompressionCodec(CompressionCodecName.SNAPPY)
                .withWriterVersion(ParquetProperties.WriterVersion.PARQUET_1_0)
                // Embeddings are high-entropy floats: a dictionary only costs time there.
                .withDictionaryEncoding("vector.list.element", false)
                .build();
    }

    /** A writer for a file of the index table, in the folder of {@code shard}. */
    public static TableWriter<IndexRow> index(OutputStream out, String relativePath, int shard) throws IOException {
        return new TableWriter<>(Table.INDEX, shard, relativePath, out, IndexRow.SCHEMA, IndexRow::write);
    }

    /** A writer for a file of the duplicates table. */
    public static TableWriter<DuplicateRow> duplicates(OutputStream out, String relativePath) throws IOException {
        return new TableWriter<>(Table.DUPLICATES, null, relativePath, out, DuplicateRow.SCHEMA, DuplicateRow::write);
    }

    /** A writer for a file of the failures table. */
    public static TableWriter<FailureRow> failures(OutputStream out, String relativePath) throws IOException {
        return new TableWriter<>(Table.FAILURES, null, relativePath, out, FailureRow.SCHEMA, FailureRow::write);
    }

    /** Appends a row. */
    public void write(T row) throws IOException {
        if (finished) {
            throw new IllegalStateException("writer of " + relativePath + " is finished");
        }
        writer.write(row);
        rows++;
    }

    /** Rows written so far. */
    public long rows() {
        return rows;
    }

    /** Bytes written so far, plus those buffered in the current row group: the size to roll files at. */
    public long estimatedSize() {
        return writer.getDataSize();
    }

    /** The table this writer writes. */
    public Table table() {
        return table;
    }

    /** Flushes the footer, closes the stream and returns the file's manifest entry. */
    public ManifestFile finish() throws IOException {
        if (!finished) {
            finished = true;
            writer.close();
        }
        return new ManifestFile(relativePath, table.dirName(), shard, rows, file.position(), Sha256.hex(file.digest()));
    }

    /** Closes without producing an entry (on failure; the caller discards the file). */
    @Override
    public void close() throws IOException {
        if (!finished) {
            finished = true;
            writer.close();
        }
    }

    private static final class RowBuilder<T> extends ParquetWriter.Builder<T, RowBuilder<T>> {
        private final WriteSupport<T> support;

        RowBuilder(OutputFile file, WriteSupport<T> support) {
            super(file);
            this.support = support;
        }

        @Override
        protected RowBuilder<T> self() {
            return this;
        }

        @Override
        @SuppressWarnings("deprecation") // Parquet's Hadoop-Configuration builder API, which its writer calls
        protected WriteSupport<T> getWriteSupport(Configuration conf) {
            return support;
        }
    }

    private static final class RowWriteSupport<T> extends WriteSupport<T> {
        private final MessageType schema;
        private final BiConsumer<T, RecordConsumer> rowWriter;
        private final Map<String, String> footer;
        private RecordConsumer consumer;

        RowWriteSupport(MessageType schema, BiConsumer<T, RecordConsumer> rowWriter, Map<String, String> footer) {
            this.schema = schema;
            this.rowWriter = rowWriter;
            this.footer = footer;
        }

        @Override
        @SuppressWarnings("deprecation") // Parquet's Hadoop-Configuration write API, which its writer calls
        public WriteContext init(Configuration configuration) {
            return new WriteContext(schema, footer);
        }

        @Override
        public void prepareForWrite(RecordConsumer recordConsumer) {
            this.consumer = recordConsumer;
        }

        @Override
        public void write(T record) {
            rowWriter.accept(record, consumer);
        }

        @Override
        public String getName() {
            return "imgindex";
        }
    }

    /** An {@link OutputFile} over a stream that is already open: it counts and hashes what passes. */
    private static final class DigestingOutputFile implements OutputFile {
        private final MessageDigest digest = Sha256.newDigest();
        private final OutputStream out;
        private long position;
        private boolean created;

        DigestingOutputFile(OutputStream out) {
            this.out = out;
        }

        long position() {
            return position;
        }

        MessageDigest digest() {
            return digest;
        }

        @Override
        public PositionOutputStream create(long blockSizeHint) {
            if (created) {
                throw new UncheckedIOException(new IOException("output stream already used"));
            }
            created = true;
            return new PositionOutputStream() {
                @Override
                public long getPos() {
                    return position;
                }

                @Override
                public void write(int b) throws IOException {
                    out.write(b);
                    digest.update((byte) b);
                    position++;
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    out.write(b, off, len);
                    digest.update(b, off, len);
                    position += len;
                }

                @Override
                public void flush() throws IOException {
                    out.flush();
                }

                @Override
                public void close() throws IOException {
                    out.close();
                }
            };
        }

        @Override
        public PositionOutputStream createOrOverwrite(long blockSizeHint) {
            return create(blockSizeHint);
        }

        @Override
        public boolean supportsBlockSize() {
            return false;
        }

        @Override
        public long defaultBlockSize() {
            return 0;
        }

        @Override
        public String getPath() {
            return "stream";
        }
    }
}
