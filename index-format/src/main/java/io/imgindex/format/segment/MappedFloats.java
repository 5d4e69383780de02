package io.imgindex.format.segment;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * Rows of {@code dimension} floats, memory-mapped read-only from a region of a file of any size: in chunks of
 * under 1 GiB that each hold whole rows (a {@link MappedByteBuffer} is limited to 2 GiB), so a row never straddles
 * two mappings. The operating system's page cache holds the data, not the Java heap.
 *
 * <p>Thread-safe: reads are absolute and change no buffer state. The mappings live until this object is
 * unreachable (the JDK unmaps a buffer when it is collected), so a reader that still holds it keeps reading the
 * same bytes even after the file is deleted.
 */
public final class MappedFloats {

    private static final long TARGET_CHUNK_BYTES = 1L << 30;

    private final FloatBuffer[] chunks;
    private final ByteBuffer[] bytes;
    private final int rowsPerChunk;
    private final int dimension;
    private final long rows;

    private MappedFloats(FloatBuffer[] chunks, ByteBuffer[] bytes, int rowsPerChunk, int dimension, long rows) {
        this.chunks = chunks;
        this.bytes = bytes;
        this.rowsPerChunk = rowsPerChunk;
        this.dimension = dimension;
        this.rows = rows;
    }

    /**
     * Maps {@code rows} rows of {@code dimension} floats stored from byte {@code offset} of {@code file}.
     *
     * @param order the byte order the floats were written in (JVector writes big-endian, the spool little-endian)
     */
    public static MappedFloats map(Path file, long offset, long rows, int dimension, ByteOrder order)
            throws IOException {
        return map(file, offset, rows, dimension, order, TARGET_CHUNK_BYTES);
    }

    /** The same with chunks of at most {@code chunkBytes} (tests use small ones to cross chunk boundaries). */
    static MappedFloats map(Path file, long offset, long rows, int dimension, ByteOrder order, long chunkBytes)
            throws IOException {
        if (dimension < 1 || rows < 0 || offset < 0) {
            throw new IllegalArgumentException(
                    "bad region: offset " + offset + ", " + rows + " rows of " + dimension + " floats");
        }
        long rowBytes = 4L * dimension;
        int rowsPerChunk = (int) Math.max(1, chunkBytes / rowBytes);
        int n = (int) ((rows + rowsPerChunk - 1) / rowsPerChunk);
        FloatBuffer[] chunks = new FloatBuffer[n];
        ByteBuffer[] bytes = new ByteBuffer[n];
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long end = offset + rows * rowBytes;
            if (end > ch.size()) {
                throw new IOException(file + " has " + ch.size() + " bytes; " + rows + " rows of " + dimension
                        + " floats from byte " + offset + " need " + end);
            }
            for (int i = 0; i < n; i++) {
                long first = (long) i * rowsPerChunk;
                long count = Math.min(rowsPerChunk, rows - first);
                MappedByteBuffer m = ch.map(FileChannel.MapMode.READ_ONLY, offset + first * rowBytes, count * rowBytes);
                bytes[i] = m.order(order);
                chunks[i] = bytes[i].asFloatBuffer();
            }
        }
        return new MappedFloats(chunks, bytes, rowsPerChunk, dimension, rows);
    }

    public int dimension() {
        return dimension;
    }

    public long rows() {
        return rows;
    }

    /**
     * The mapping that holds a row, in the file's byte order: read it at {@link #byteOffset} with absolute reads
     * only (the buffer is shared by every reader of this object; do not change its position).
     */
    public ByteBuffer buffer(long row) {
        return bytes[(int) (row / rowsPerChunk)];
    }

    /** Where a row starts in {@link #buffer}, in bytes. */
    public int byteOffset(long row) {
        return (int) (row % rowsPerChunk) * dimension * 4;
    }

    /** Copies row {@code row} into {@code dst} from {@code dstOffset}. */
    public void get(long row, float[] dst, int dstOffset) {
        FloatBuffer c = chunks[(int) (row / rowsPerChunk)];
        c.get((int) (row % rowsPerChunk) * dimension, dst, dstOffset, dimension);
    }

    /**
     * Copies up to {@code max} consecutive rows from {@code first} into {@code dst} (row-major), stopping at the
     * end of a chunk or of the rows; returns how many were copied. One bulk copy: the JDK swaps bytes, if
     * needed, at memory speed.
     */
    public int getRows(long first, int max, float[] dst) {
        int chunk = (int) (first / rowsPerChunk);
        int inChunk = (int) (first % rowsPerChunk);
        long left = Math.min(rows - first, rowsPerChunk - (long) inChunk);
        int n = (int) Math.min(max, left);
        chunks[chunk].get(inChunk * dimension, dst, 0, n * dimension);
        return n;
    }
}
