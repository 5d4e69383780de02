package io.imgindex.format;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
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

/**
 * Index rows read column by column into arrays, for servers that hold millions of vectors: the vectors in one
 * contiguous {@code float[]} (row {@code i} at {@code [i * dimension, (i + 1) * dimension)}), the other columns in
 * parallel arrays. Parsing goes straight from Parquet's column readers into the arrays, with no object per row or
 * per float.
 *
 * <p>Not thread-safe while being filled; immutable in practice once {@link #read} returns.
 */
public final class IndexColumns {

    public final int dimension;
    private int size;
    private float[] vectors;
    private String[] ids;
    private String[] urls;
    private int[] widths;
    private int[] heights;
    private String[] formats;
    private long[] bytes;
    private String[] sha256s;
    private long[] ingestedAt;
    private String[] sources;
    private List<Map<String, String>> metadata;

    private IndexColumns(int dimension, int capacity) {
        this.dimension = dimension;
        int c = Math.max(16, capacity);
        vectors = new float[c * dimension];
        ids = new String[c];
        urls = new String[c];
        widths = new int[c];
        heights = new int[c];
        formats = new String[c];
        bytes = new long[c];
        sha256s = new String[c];
        ingestedAt = new long[c];
        sources = new String[c];
        metadata = new ArrayList<>(c);
    }

    /**
     * Reads a whole index file.
     *
     * @param expectedRows the rows the manifest lists, used to size the arrays (and checked)
     * @throws IndexFormatException if a vector does not have {@code dimension} floats, or the row count differs
     */
    public static IndexColumns read(InputFile file, int dimension, long expectedRows) throws IOException {
        IndexColumns cols = new IndexColumns(dimension, (int) Math.min(expectedRows, Integer.MAX_VALUE / dimension));
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
        return cols;
    }

    public int size() {
        return size;
    }

    /** All vectors, row-major; only the first {@code size() * dimension} floats are rows. */
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
        return sha256s[row];
    }

    public long ingestedAtMillis(int row) {
        return ingestedAt[row];
    }

    public String source(int row) {
        return sources[row];
    }

    /** The row's metadata; empty, never null. */
    public Map<String, String> metadata(int row) {
        return metadata.get(row);
    }

    /** Trims the arrays to the rows read, so a long-lived holder wastes no memory. */
    public IndexColumns trim() {
        vectors = Arrays.copyOf(vectors, size * dimension);
        ids = Arrays.copyOf(ids, size);
        urls = Arrays.copyOf(urls, size);
        widths = Arrays.copyOf(widths, size);
        heights = Arrays.copyOf(heights, size);
        formats = Arrays.copyOf(formats, size);
        bytes = Arrays.copyOf(bytes, size);
        sha256s = Arrays.copyOf(sha256s, size);
        ingestedAt = Arrays.copyOf(ingestedAt, size);
        sources = Arrays.copyOf(sources, size);
        return this;
    }

    /** The rows of several files of one shard, in order, as one. */
    public static IndexColumns concat(List<IndexColumns> parts, int dimension) {
        int total = 0;
        for (IndexColumns p : parts) {
            if (p.dimension != dimension) {
                throw new IllegalArgumentException("dimension " + p.dimension + " != " + dimension);
            }
            total += p.size;
        }
        if (parts.size() == 1) {
            return parts.get(0).trim();
        }
        IndexColumns out = new IndexColumns(dimension, total);
        for (IndexColumns p : parts) {
            System.arraycopy(p.vectors, 0, out.vectors, out.size * dimension, p.size * dimension);
            System.arraycopy(p.ids, 0, out.ids, out.size, p.size);
            System.arraycopy(p.urls, 0, out.urls, out.size, p.size);
            System.arraycopy(p.widths, 0, out.widths, out.size, p.size);
            System.arraycopy(p.heights, 0, out.heights, out.size, p.size);
            System.arraycopy(p.formats, 0, out.formats, out.size, p.size);
            System.arraycopy(p.bytes, 0, out.bytes, out.size, p.size);
            System.arraycopy(p.sha256s, 0, out.sha256s, out.size, p.size);
            System.arraycopy(p.ingestedAt, 0, out.ingestedAt, out.size, p.size);
            System.arraycopy(p.sources, 0, out.sources, out.size, p.size);
            out.metadata.addAll(p.metadata.subList(0, p.size));
            out.size += p.size;
        }
        return out.trim();
    }

    private void grow() {
        int c = ids.length * 2;
        vectors = Arrays.copyOf(vectors, c * dimension);
        ids = Arrays.copyOf(ids, c);
        urls = Arrays.copyOf(urls, c);
        widths = Arrays.copyOf(widths, c);
        heights = Arrays.copyOf(heights, c);
        formats = Arrays.copyOf(formats, c);
        bytes = Arrays.copyOf(bytes, c);
        sha256s = Arrays.copyOf(sha256s, c);
        ingestedAt = Arrays.copyOf(ingestedAt, c);
        sources = Arrays.copyOf(sources, c);
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
                    return new ReadContext(IndexRow.SCHEMA);
                }

                @Override
                public RecordMaterializer<Boolean> prepareForRead(
                        Configuration conf, Map<String, String> meta, MessageType fileSchema, ReadContext context) {
                    return new RecordMaterializer<>() {
                        private final RowConverter root = new RowConverter(cols);

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
    }

    /** Fills one row; field order is that of {@link IndexRow#SCHEMA}. */
    private static final class RowConverter extends GroupConverter {
        private final IndexColumns c;
        private final Converter[] fields;
        private int row;
        private int floats;
        private TreeMap<String, String> meta;
        private String key;
        private String value;

        RowConverter(IndexColumns cols) {
            this.c = cols;
            this.fields = new Converter[] {
                strings(v -> c.ids[row] = v),
                strings(v -> c.urls[row] = v),
                list(),
                strings(v -> {
                    /* the model id is the manifest's, checked there */
                }),
                ints(v -> c.widths[row] = v),
                ints(v -> c.heights[row] = v),
                strings(v -> c.formats[row] = v),
                longs(v -> c.bytes[row] = v),
                strings(v -> c.sha256s[row] = v),
                longs(v -> c.ingestedAt[row] = v),
                strings(v -> c.sources[row] = v),
                map()
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
            meta = null;
        }

        @Override
        public void end() {
            if (floats != c.dimension) {
                throw new IndexFormatException("row " + row + " (" + c.ids[row] + ") has a vector of " + floats
                        + " floats, the manifest says " + c.dimension);
            }
            c.metadata.add(meta == null ? Map.of() : Collections.unmodifiableMap(meta));
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
                    if (meta == null) {
                        meta = new TreeMap<>();
                    }
                    meta.put(key, value);
                }
            };
            return group(i -> keyValue);
        }

        private static GroupConverter group(java.util.function.IntFunction<Converter> child) {
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

        private static PrimitiveConverter strings(java.util.function.Consumer<String> sink) {
            return new PrimitiveConverter() {
                @Override
                public void addBinary(Binary v) {
                    sink.accept(v.toStringUsingUTF8());
                }
            };
        }

        private static PrimitiveConverter ints(java.util.function.IntConsumer sink) {
            return new PrimitiveConverter() {
                @Override
                public void addInt(int v) {
                    sink.accept(v);
                }
            };
        }

        private static PrimitiveConverter longs(java.util.function.LongConsumer sink) {
            return new PrimitiveConverter() {
                @Override
                public void addLong(long v) {
                    sink.accept(v);
                }
            };
        }
    }
}
