package io.imgindex.format.segment;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * A segment's thumbnails, row by row ({@value SegmentWriter#THUMBNAILS_FILE}): small JPEGs for result grids,
 * kept apart from the rows so that a server never holds them in its heap and a Parquet reader never reads them.
 * Layout, big-endian:
 *
 * <pre>
 * 8 bytes   magic "IMGTHMB1"
 * int64     n, the segment's rows
 * int64[n+1] offsets of each row's thumbnail from the start of the data (row i is [offset[i], offset[i+1]);
 *           an empty range: that row has none)
 * bytes     the thumbnails, one after another
 * </pre>
 *
 * A reader reads one thumbnail with two positional reads, so a server serves them from a local file (the page
 * cache keeps the hot ones) at any size: offsets are 64-bit.
 */
public final class ThumbnailPack {

    static final byte[] MAGIC = "IMGTHMB1".getBytes(StandardCharsets.US_ASCII);

    private ThumbnailPack() {}

    /** Collects thumbnails row by row in a local spool file, then writes the pack. Not thread-safe. */
    public static final class Writer implements Closeable {
        private final Path spool;
        private final OutputStream data;
        private long[] ends = new long[1024];
        private int rows;
        private long bytes;
        private int present;

        public Writer(Path spool) throws IOException {
            this.spool = spool;
            this.data = new BufferedOutputStream(Files.newOutputStream(spool));
        }

        /** The next row's thumbnail, or null when it has none. */
        public void add(byte[] thumbnail) throws IOException {
            if (thumbnail != null && thumbnail.length > 0) {
                data.write(thumbnail);
                bytes += thumbnail.length;
                present++;
            }
            if (rows == ends.length) {
                ends = Arrays.copyOf(ends, rows * 2);
            }
            ends[rows++] = bytes;
        }

        /** Rows that have a thumbnail. */
        public int present() {
            return present;
        }

        public int rows() {
            return rows;
        }

        /** Writes the pack (after the last row). */
        public void writeTo(OutputStream out) throws IOException {
            data.flush();
            DataOutputStream o = new DataOutputStream(new BufferedOutputStream(out, 1 << 16));
            o.write(MAGIC);
            o.writeLong(rows);
            o.writeLong(0);
            for (int i = 0; i < rows; i++) {
                o.writeLong(ends[i]);
            }
            try (InputStream in = Files.newInputStream(spool)) {
                in.transferTo(o);
            }
            o.flush();
        }

        @Override
        public void close() throws IOException {
            data.close();
            Files.deleteIfExists(spool);
        }
    }

    /** Reads thumbnails of a pack on local disk. Thread-safe (positional reads). */
    public static final class Reader implements Closeable {
        private final FileChannel file;
        private final long rows;
        private final long dataStart;

        private Reader(FileChannel file, long rows) {
            this.file = file;
            this.rows = rows;
            this.dataStart = MAGIC.length + 8 + 8 * (rows + 1);
        }

        /**
         * Opens a pack and checks its header against the segment.
         *
         * @throws IOException if it is not a pack of {@code expectedRows} rows
         */
        public static Reader open(Path path, long expectedRows) throws IOException {
            FileChannel ch = FileChannel.open(path, StandardOpenOption.READ);
            try {
                ByteBuffer head = ByteBuffer.allocate(MAGIC.length + 8);
                readFully(ch, head, 0);
                byte[] magic = new byte[MAGIC.length];
                head.flip().get(magic);
                long n = head.getLong();
                if (!Arrays.equals(magic, MAGIC) || n != expectedRows) {
                    throw new IOException(path + " is not a thumbnail pack of " + expectedRows + " rows");
                }
                Reader r = new Reader(ch, n);
                if (ch.size() < r.dataStart + r.end(n - 1)) {
                    throw new IOException(path + " is shorter than its offsets say");
                }
                return r;
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
        }

        /** Row {@code row}'s thumbnail, or null when it has none. */
        public byte[] get(int row) throws IOException {
            if (row < 0 || row >= rows) {
                throw new IndexOutOfBoundsException("row " + row + " of " + rows);
            }
            ByteBuffer range = ByteBuffer.allocate(16);
            readFully(file, range, MAGIC.length + 8 + 8L * row);
            range.flip();
            long start = range.getLong();
            long end = range.getLong();
            if (end < start || end - start > Integer.MAX_VALUE) {
                throw new IOException("row " + row + " has a broken range " + start + ".." + end);
            }
            if (end == start) {
                return null;
            }
            ByteBuffer out = ByteBuffer.allocate((int) (end - start));
            readFully(file, out, dataStart + start);
            return out.array();
        }

        private long end(long row) throws IOException {
            if (row < 0) {
                return 0;
            }
            ByteBuffer b = ByteBuffer.allocate(8);
            readFully(file, b, MAGIC.length + 8 + 8 * (row + 1));
            return b.flip().getLong();
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    /**
     * Reads a pack front to back, row by row, from any stream (a compaction reads a segment's rows and their
     * thumbnails together from the store). Holds the offsets (8 bytes a row). Not thread-safe.
     */
    public static final class Sequential implements Closeable {
        private final DataInputStream in;
        private final long[] offsets;
        private int next;

        public Sequential(InputStream stream) throws IOException {
            this.in = new DataInputStream(new BufferedInputStream(stream, 1 << 16));
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            long n = in.readLong();
            if (!Arrays.equals(magic, MAGIC) || n < 0 || n > Integer.MAX_VALUE - 1) {
                throw new IOException("not a thumbnail pack");
            }
            offsets = new long[(int) n + 1];
            for (int i = 0; i <= n; i++) {
                offsets[i] = in.readLong();
            }
        }

        /** The rows the pack holds: its reader checks them against the rows it read beside it. */
        public long rows() {
            return offsets.length - 1;
        }

        /** The next row's thumbnail, or null when it has none. */
        public byte[] next() throws IOException {
            if (next >= offsets.length - 1) {
                throw new IOException("the pack has no row " + next);
            }
            long length = offsets[next + 1] - offsets[next];
            next++;
            if (length < 0 || length > Integer.MAX_VALUE) {
                throw new IOException("row " + (next - 1) + " has a broken range");
            }
            if (length == 0) {
                return null;
            }
            byte[] b = new byte[(int) length];
            in.readFully(b);
            return b;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long position) throws IOException {
        long at = position;
        while (b.hasRemaining()) {
            int n = ch.read(b, at);
            if (n < 0) {
                throw new IOException("unexpected end of file at " + at);
            }
            at += n;
        }
    }
}
