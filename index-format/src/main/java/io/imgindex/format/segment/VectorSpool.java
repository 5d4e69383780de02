package io.imgindex.format.segment;

import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A segment's vectors on local disk while its rows are written, little-endian floats one row after the other, so
 * that building the graph needs no heap for them: they are mapped back ({@link #map}) once the segment is full.
 * Not thread-safe.
 */
final class VectorSpool implements Closeable {

    private final Path file;
    private final int dimension;
    private final OutputStream out;
    private final ByteBuffer row;
    private long rows;

    VectorSpool(Path file, int dimension) throws IOException {
        this.file = file;
        this.dimension = dimension;
        this.out = new BufferedOutputStream(
                Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), 1 << 16);
        this.row = ByteBuffer.allocate(4 * dimension).order(ByteOrder.LITTLE_ENDIAN);
    }

    void add(float[] vector) throws IOException {
        if (vector.length != dimension) {
            throw new IllegalArgumentException(
                    "a vector of " + vector.length + " floats, the segment has " + dimension + " dimensions");
        }
        row.clear();
        row.asFloatBuffer().put(vector);
        out.write(row.array());
        rows++;
    }

    long rows() {
        return rows;
    }

    /** Finishes writing and maps what was written. */
    MappedFloats map() throws IOException {
        out.close();
        return MappedFloats.map(file, 0, rows, dimension, ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public void close() throws IOException {
        out.close();
        Files.deleteIfExists(file);
    }
}
