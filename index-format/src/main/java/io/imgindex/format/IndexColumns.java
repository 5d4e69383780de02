package io.imgindex.format;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import java.util.function.LongConsumer;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.InitContext;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Index rows read column by column into arrays, for servers that hold millions of rows: the other columns in
 * parallel arrays, metadata column by column (repeated values shared), SHA-256s as 32 bytes, and, when asked for,
 * the vectors in one contiguous {@code float[]} (row {@code i} at {@code [i * dimension, (i + 1) * dimension)}).
 * Parsing goes straight from Parquet's column readers into the arrays, with no object per row or per float; a
 * file read without its vectors skips their column chunks entirely (format version 2 servers map the vectors from
 * the segment's graph file instead).
 *
 * <p>Not thread-safe while being filled; immutable in practice once {@link #read} returns.
 */
public final class IndexColumns {

    /** Distinct values a metadata column shares before it stops looking (a title column is unique per row). */
    private static final int SHARED_VALUES_PER_COLUMN = 4096;

    public final int dimension;
    private final boolean withVectors;
    private int size;
    private float[] vectors;
    private String[] ids;
    private String[] urls;
    private int[] widths;
    private int[] heights;
    private String[] formats;
    private long[] bytes;
    private byte[] sha256s;
    private Map<Integer, String> oddSha256s;
    private long[] ingestedAt;
    private String[] sources;
    private Map<String, String[]> metadata;
    private transient Map<String, Map<String, String>> shared;

    private IndexColumns(int dimension, int capacity, boolean withVectors) {
        this.dimension = dimension;
        this.withVectors = withVectors;
        int c = Math.max(16, capacity);
        vectors = withVectors ? new float[vectorArrayLength(c, dimension)] : new float[0];
        ids = new String[c];
        urls = new String[c];
        widths = new int[c];
        heights = new int[c];
        formats = new String[c];
        bytes = new long[c];
        sha256s = new byte[32 * c];
        ingestedAt = new long[c];
        sources = new String[c];
        metadata = new LinkedHashMap<>();
        shared = new HashMap<>();
    }

    private static int vectorArrayLength(long rows, int dimension) {
        long n = rows * dimension;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IndexFormatException(rows + " vectors of " + dimension + " floats do not fit in one array: a"
                    + " format version 1 shard is held in memory whole; write the index as segments (format version"
                    + " 2, which servers map) with 'imgindex compact'");
        }
        return (int) n;
    }

    /**
     * Reads a whole index file, vectors included.
     *
     * @param expectedRows the rows the manifest lists, used to size the arrays (and checked)
     * @throws IndexFormatException if a vector does not have {@code dimension} floats, or the row count differs
     */
    public static IndexColumns read(InputFile file, int dimension, long expectedRows) throws IOException {
        return read(file, dimension, expectedRows, true);
    }

    /**
     * Reads an index file, with or without its vectors.
     *
     * @param vectors whether to read the vector column (without, {@link #vectors()} is empty)
     */
    public static IndexColumns read(InputFile file, int dimension, long expectedRows, boolean vectors)
            throws IOException {
        if (expectedRows > Integer.MAX_VALUE - 8) {
            throw new IndexFormatException("a file of " + expectedRows + " rows is more than one array holds");
        }
        IndexColumns cols = new IndexColumns(dimension, (int) expectedRows, vectors);
        try (ParquetReader<Boolean> reader = new Builder(file, cols).build()) {
            while (reader.read() != null) {
                // Each read fills one row through the converters.
            }
        } catch (RuntimeException e) {
            // Parquet wraps what the converters throw; a format problem is reported as itself.
            for (Throwable t = e; t != null; t = t.getCause()) {
                if (t instanceof IndexFormatException f) {
                    throw f;
                }
            }
            throw e;
        }
        if (cols.size != expectedRows) {
            throw new IndexFormatException("file has " + cols.size + " rows, manifest says " + expectedRows);
        }
        cols.shared = null;
        return cols;
    }

    public int size() {
        return size;
    }

    /** Whether the vectors were read. */
    public boolean hasVectors() {
        return withVectors;
    }

    /** All vectors, row-major; only the first {@code size() * dimension} floats are rows; empty if not read. */
    public float[] vectors() {
        return vectors;
    }

    public String id(int row) {
        return ids[row];
    }

    public String url(int row) {
        return urls[row];
    }

    public int width(int row) {
        return widths[row];
    }

    public int height(int row) {
        return heights[row];
    }

    public String format(int row) {
        return formats[row];
    }

    public long bytes(int row) {
        return bytes[row];
    }

    public String sha256(int row) {
        if (oddSha256s != null && oddSha256s.containsKey(row)) {
            return oddSha256s.get(row);
        }
        return HexFormat.of().formatHex(sha256s, row * 32, row * 32 + 32);
    }

    public long ingestedAtMillis(int row) {
        return ingestedAt[row];
    }

    public String source(int row) {
        return sources[row];
    }

    /** The row's metadata, sorted by key; empty, never null. A key stored without a value reads as "". */
    public Map<String, String> metadata(int row) {
        TreeMap<String, String> m = null;
        for (Map.Entry<String, String[]> column : metadata.entrySet()) {
            String v = column.getValue()[row];
            if (v != null) {
                if (m == null) {
                    m = new TreeMap<>();
                }
                m.put(column.getKey(), v);
            }
        }
        return m == null ? Map.of() : Collections.unmodifiableMap(m);
    }

    /** The metadata keys any row has. */
    public List<String> metadataKeys() {
        return List.copyOf(metadata.keySet());
    }

    /** One metadata column: the value of each row, null where the row has no such key. Do not modify it. */
    public String[] metadataColumn(String key) {
        String[] column = metadata.get(key);
        return column == null ? null : column;
    }

    /** Trims the arrays to the rows read, so a long-lived holder wastes no memory. */
    public IndexColumns trim() {
        if (withVectors) {
            vectors = Arrays.copyOf(vectors, size * dimension);
        }
        ids = Arrays.copyOf(ids, size);
        urls = Arrays.copyOf(urls, size);
        widths = Arrays.copyOf(widths, size);
        heights = Arrays.copyOf(heights, size);
        formats = Arrays.copyOf(formats, size);
        bytes = Arrays.copyOf(bytes, size);
        sha256s = Arrays.copyOf(sha256s, size * 32);
        ingestedAt = Arrays.copyOf(ingestedAt, size);
        sources = Arrays.copyOf(sources, size);
        metadata.replaceAll((k, v) -> Arrays.copyOf(v, size));
        return this;
    }

    /** The rows of several files of one shard, in order, as one. */
    public static IndexColumns concat(List<IndexColumns> parts, int dimension) {
        long total = 0;
        boolean withVectors = true;
        for (IndexColumns p : parts) {
            if (p.dimension != dimension) {
                throw new IllegalArgumentException("dimension " + p.dimension + " != " + dimension);
            }
            total += p.size;
            withVectors &= p.withVectors;
        }
        if (parts.size() == 1) {
            return parts.get(0).trim();
        }
        if (total > Integer.MAX_VALUE - 8) {
            throw new IndexFormatException(total + " rows are more than one shard array holds");
        }
        IndexColumns out = new IndexColumns(dimension, (int) total, withVectors);
        for (IndexColumns p : parts) {
            if (withVectors) {
                System.arraycopy(p.vectors, 0, out.vectors, out.size * dimension, p.size * dimension);
            }
            System.arraycopy(p.ids, 0, out.ids, out.size, p.size);
            System.arraycopy(p.urls, 0, out.urls, out.size, p.size);
            System.arraycopy(p.widths, 0, out.widths, out.size, p.size);
            System.arraycopy(p.heights, 0, out.heights, out.size, p.size);
            System.arraycopy(p.formats, 0, out.formats, out.size, p.size);
            System.arraycopy(p.bytes, 0, out.bytes, out.size, p.size);
            System.arraycopy(p.sha256s, 0, out.sha256s, out.size * 32, p.size * 32);
            if (p.oddSha256s != null) {
                for (Map.Entry<Integer, String> e : p.oddSha256s.entrySet()) {
                    out.oddSha256(out.size + e.getKey(), e.getValue());
                }
            }
            System.arraycopy(p.ingestedAt, 0, out.ingestedAt, out.size, p.size);
            System.arraycopy(p.sources, 0, out.sources, out.size, p.size);
            for (Map.Entry<String, String[]> column : p.metadata.entrySet()) {
                String[] target = out.metadata.computeIfAbsent(column.getKey(), k -> new String[out.ids.length]);
                System.arraycopy(column.getValue(), 0, target, out.size, p.size);
            }
            out.size += p.size;
        }
        out.shared = null;
        return out.trim();
    }

    private void oddSha256(int row, String value) {
        if (oddSha256s == null) {
            oddSha256s = new HashMap<>();
        }
        oddSha256s.put(row, value);
    }

    private void grow() {
        int c = ids.length * 2;
        if (withVectors) {
            vectors = Arrays.copyOf(vectors, vectorArrayLength(c, dimension));
        }
        ids = Arrays.copyOf(ids, c);
        urls = Arrays.copyOf(urls, c);
        widths = Arrays.copyOf(widths, c);
        heights = Arrays.copyOf(heights, c);
        formats = Arrays.copyOf(formats, c);
        bytes = Arrays.copyOf(bytes, c);
        sha256s = Arrays.copyOf(sha256s, 32 * c);
        ingestedAt = Arrays.copyOf(ingestedAt, c);
        sources = Arrays.copyOf(sources, c);
        metadata.replaceAll((k, v) -> Arrays.copyOf(v, c));
    }

    /** A value of a column, the same instance as earlier equal ones while the column has few distinct values. */
    private String share(String column, String value) {
        if (value == null || shared == null) {
            return value;
        }
        Map<String, String> values = shared.computeIfAbsent(column, k -> new HashMap<>());
        String known = values.get(value);
        if (known != null) {
            return known;
        }
        if (values.size() < SHARED_VALUES_PER_COLUMN) {
            values.put(value, value);
        }
        return value;
    }

    private void setSha256(int row, String hex) {
        if (hex.length() == 64) {
            try {
                byte[] b = HexFormat.of().parseHex(hex);
                System.arraycopy(b, 0, sha256s, row * 32, 32);
                return;
            } catch (IllegalArgumentException notHex) {
                // Kept as it is, below.
            }
        }
        oddSha256(row, hex);
    }

    private void setMetadata(int row, String key, String value) {
        String k = share("", key);
        String[] column = metadata.computeIfAbsent(k, x -> new String[ids.length]);
        column[row] = share(k, value == null ? "" : value);
    }

    private static final class Builder extends ParquetReader.Builder<Boolean> {
        private final IndexColumns cols;

        Builder(InputFile file, IndexColumns cols) {
            super(file);
            this.cols = cols;
        }

        @Override
        protected ReadSupport<Boolean> getReadSupport() {
            return new ReadSupport<>() {
                @Override
                public ReadContext init(InitContext context) {
                    return new ReadContext(requested(cols.withVectors));
                }

                @Override
                @SuppressWarnings("deprecation") // Parquet's Hadoop-Configuration read API, which its reader calls
                public RecordMaterializer<Boolean> prepareForRead(
                        Configuration conf, Map<String, String> meta, MessageType fileSchema, ReadContext context) {
                    return new RecordMaterializer<>() {
                        private final RowConverter root = new RowConverter(cols, context.getRequestedSchema());

                        @Override
                        public Boolean getCurrentRecord() {
                            return Boolean.TRUE;
                        }

                        @Override
                        public GroupConverter getRootConverter() {
                            return root;
                        }
                    };
                }
            };
        }

        /** The index schema, without the vector column unless asked for: Parquet then never reads its pages. */
        static MessageType requested(boolean vectors) {
            if (vectors) {
                return IndexRow.SCHEMA;
            }
            List<Type> fields = new ArrayList<>();
            for (Type t : IndexRow.SCHEMA.getFields()) {
                if (!t.getName().equals("vector")) {
                    fields.add(t);
                }
            }
            return new MessageType(IndexRow.SCHEMA.getName(), fields);
        }
    }

    /** Fills one row; field converters follow the requested schema's field names. */
    private static final class RowConverter extends GroupConverter {
        private final IndexColumns c;
        private final Converter[] fields;
        private int row;
        private int floats;
        private String key;
        private String value;

        RowConverter(IndexColumns cols, MessageType requested) {
            this.c = cols;
            List<Type> schema = requested.getFields();
            this.fields = new Converter[schema.size()];
            for (int i = 0; i < fields.length; i++) {
                fields[i] = converterFor(schema.get(i).getName());
            }
        }

        private Converter converterFor(String name) {
            return switch (name) {
                case "id" -> strings(v -> c.ids[row] = v);
                case "url" -> strings(v -> c.urls[row] = v);
                case "vector" -> list();
                case "model_id" -> strings(v -> {
                    /* the model id is the manifest's, checked there */
                });
                case "width" -> ints(v -> c.widths[row] = v);
                case "height" -> ints(v -> c.heights[row] = v);
                case "format" -> strings(v -> c.formats[row] = c.share("format", v));
                case "bytes" -> longs(v -> c.bytes[row] = v);
                case "sha256" -> strings(v -> c.setSha256(row, v));
                case "ingested_at" -> longs(v -> c.ingestedAt[row] = v);
                case "source" -> strings(v -> c.sources[row] = v);
                case "metadata" -> map();
                default -> throw new IndexFormatException("unknown index column '" + name + "'");
            };
        }

        @Override
        public Converter getConverter(int fieldIndex) {
            return fields[fieldIndex];
        }

        @Override
        public void start() {
            row = c.size;
            if (row == c.ids.length) {
                c.grow();
            }
            floats = 0;
        }

        @Override
        public void end() {
            if (c.withVectors && floats != c.dimension) {
                throw new IndexFormatException("row " + row + " (" + c.ids[row] + ") has a vector of " + floats
                        + " floats, the manifest says " + c.dimension);
            }
            c.size++;
        }

        private GroupConverter list() {
            PrimitiveConverter element = new PrimitiveConverter() {
                @Override
                public void addFloat(float v) {
                    if (floats < c.dimension) {
                        c.vectors[row * c.dimension + floats] = v;
                    }
                    floats++;
                }
            };
            GroupConverter repeated = group(i -> element);
            return group(i -> repeated);
        }

        private GroupConverter map() {
            PrimitiveConverter k = new PrimitiveConverter() {
                @Override
                public void addBinary(Binary v) {
                    key = v.toStringUsingUTF8();
                }
            };
            PrimitiveConverter val = new PrimitiveConverter() {
                @Override
                public void addBinary(Binary v) {
                    value = v.toStringUsingUTF8();
                }
            };
            GroupConverter keyValue = new GroupConverter() {
                @Override
                public Converter getConverter(int i) {
                    return i == 0 ? k : val;
                }

                @Override
                public void start() {
                    key = null;
                    value = null;
                }

                @Override
                public void end() {
                    c.setMetadata(row, key, value);
                }
            };
            return group(i -> keyValue);
        }

        private static GroupConverter group(IntFunction<Converter> child) {
            return new GroupConverter() {
                @Override
                public Converter getConverter(int i) {
                    return child.apply(i);
                }

                @Override
                public void start() {}

                @Override
                public void end() {}
            };
        }

        private static PrimitiveConverter strings(Consumer<String> sink) {
            return new PrimitiveConverter() {
                @Override
                public void addBinary(Binary v) {
                    sink.accept(v.toStringUsingUTF8());
                }
            };
        }

        private static PrimitiveConverter ints(IntConsumer sink) {
            return new PrimitiveConverter() {
                @Override
                public void addInt(int v) {
                    sink.accept(v);
                }
            };
        }

        private static PrimitiveConverter longs(LongConsumer sink) {
            return new PrimitiveConverter() {
                @Override
                public void addLong(long v) {
                    sink.accept(v);
                }
            };
        }
    }
}
