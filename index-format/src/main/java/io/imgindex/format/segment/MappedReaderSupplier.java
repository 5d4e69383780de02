package io.imgindex.format.segment;

import io.github.jbellis.jvector.disk.RandomAccessReader;
import io.github.jbellis.jvector.disk.ReaderSupplier;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * JVector's readers over a memory-mapped file of any size, on any Java from 17: the file is mapped once in 1 GiB
 * chunks shared by every reader, and reads that cross a chunk boundary are assembled. JVector's own choice on Java
 * 17 ({@code MappedChunkReader}) maps again for each reader and fails on integers that straddle 2^31 bytes;
 * {@code SimpleMappedReader} refuses files over 2 GiB and reads the whole file into memory when it opens.
 */
public final class MappedReaderSupplier implements ReaderSupplier {

    /** Chunks of 1 GiB. */
    static final int SHIFT = 30;

    private final MappedByteBuffer[] maps;
    private final long length;
    private final int shift;

    public MappedReaderSupplier(Path path) throws IOException {
        this(path, SHIFT);
    }

    /** With chunks of {@code 2^shift} bytes (tests use small ones to cross chunk boundaries). */
    MappedReaderSupplier(Path path, int shift) throws IOException {
        this.shift = shift;
        long chunk = 1L << shift;
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            length = ch.size();
            int n = (int) Math.max(1, (length + chunk - 1) >>> shift);
            maps = new MappedByteBuffer[n];
            for (int i = 0; i < n; i++) {
                long start = (long) i << shift;
                maps[i] = ch.map(FileChannel.MapMode.READ_ONLY, start, Math.min(chunk, Math.max(0, length - start)));
            }
        }
    }

    @Override
    public RandomAccessReader get() {
        return new Reader(maps, length, shift);
    }

    @Override
    public void close() {
        // Unmapped when unreachable: a search still running on a replaced generation keeps its mapping.
    }

    /** One reader: a position and duplicates of the shared mappings (cheap, not thread-safe, one per thread). */
    static final class Reader implements RandomAccessReader {
        private final ByteBuffer[] bufs;
        private final long length;
        private final int shift;
        private final long chunk;
        private final long mask;
        private long pos;

        Reader(MappedByteBuffer[] shared, long length, int shift) {
            this.bufs = new ByteBuffer[shared.length];
            for (int i = 0; i < shared.length; i++) {
                bufs[i] = shared[i].duplicate().order(ByteOrder.BIG_ENDIAN);
            }
            this.length = length;
            this.shift = shift;
            this.chunk = 1L << shift;
            this.mask = chunk - 1;
        }

        private ByteBuffer at(long p) {
            ByteBuffer b = bufs[(int) (p >>> shift)];
            b.position((int) (p & mask));
            return b;
        }

        private boolean fits(long p, long n) {
            return (p & mask) + n <= chunk;
        }

        private ByteBuffer straddling(int n) {
            byte[] b = new byte[n];
            readFully(b);
            return ByteBuffer.wrap(b);
        }

        @Override
        public void seek(long offset) {
            pos = offset;
        }

        @Override
        public long getPosition() {
            return pos;
        }

        @Override
        public long length() {
            return length;
        }

        @Override
        public int readInt() {
            if (fits(pos, 4)) {
                int v = at(pos).getInt();
                pos += 4;
                return v;
            }
            return straddling(4).getInt();
        }

        @Override
        public long readLong() {
            if (fits(pos, 8)) {
                long v = at(pos).getLong();
                pos += 8;
                return v;
            }
            return straddling(8).getLong();
        }

        @Override
        public float readFloat() {
            return Float.intBitsToFloat(readInt());
        }

        @Override
        public void readFully(byte[] b) {
            readFully(ByteBuffer.wrap(b));
        }

        @Override
        public void readFully(ByteBuffer dst) {
            while (dst.hasRemaining()) {
                ByteBuffer src = at(pos);
                int n = (int) Math.min(dst.remaining(), chunk - (pos & mask));
                ByteBuffer s = src.slice();
                s.limit(n);
                dst.put(s);
                pos += n;
            }
        }

        @Override
        public void readFully(float[] f) {
            read(f, 0, f.length);
        }

        @Override
        public void readFully(long[] v) {
            if (fits(pos, v.length * 8L)) {
                at(pos).asLongBuffer().get(v);
                pos += v.length * 8L;
                return;
            }
            straddling(v.length * 8).asLongBuffer().get(v);
        }

        @Override
        public void read(int[] ints, int off, int count) {
            if (fits(pos, count * 4L)) {
                at(pos).asIntBuffer().get(ints, off, count);
                pos += count * 4L;
                return;
            }
            straddling(count * 4).asIntBuffer().get(ints, off, count);
        }

        @Override
        public void read(float[] fl, int off, int count) {
            if (fits(pos, count * 4L)) {
                at(pos).asFloatBuffer().get(fl, off, count);
                pos += count * 4L;
                return;
            }
            straddling(count * 4).asFloatBuffer().get(fl, off, count);
        }

        @Override
        public void close() {}
    }
}
