package io.imgindex.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.function.IntFunction;

/** Index columns for tests, made the way servers get them: rows written by the format's writer, read back. */
public final class IndexColumnsTestAccess {

    private IndexColumnsTestAccess() {}

    public static IndexColumns of(float[] vectors, int dimension, IntFunction<Map<String, String>> metadata) {
        int n = vectors.length / dimension;
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TableWriter<IndexRow> w = TableWriter.index(bytes, "shard=0/part.parquet", 0)) {
            for (int i = 0; i < n; i++) {
                float[] v = new float[dimension];
                System.arraycopy(vectors, i * dimension, v, 0, dimension);
                w.write(new IndexRow(
                        "id-" + i,
                        "http://example.com/" + i + ".jpg",
                        v,
                        "test",
                        10,
                        10,
                        "jpeg",
                        100,
                        "00",
                        0,
                        null,
                        metadata.apply(i)));
            }
            w.finish();
            return IndexColumns.read(new InMemoryInputFile(bytes.toByteArray()), dimension, n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
