package io.imgindex.format;

import java.io.ByteArrayInputStream;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.SeekableInputStream;

/** A Parquet file held in memory: read once (and checked against the manifest), then parsed without more I/O. */
public final class InMemoryInputFile implements InputFile {

    private final byte[] bytes;

    public InMemoryInputFile(byte[] bytes) {
        this.bytes = bytes;
    }

    @Override
    public long getLength() {
        return bytes.length;
    }

    @Override
    public SeekableInputStream newStream() {
        Positioned in = new Positioned(bytes);
        return new DelegatingSeekableInputStream(in) {
            @Override
            public long getPos() {
                return in.position();
            }

            @Override
            public void seek(long newPos) {
                in.seek((int) newPos);
            }
        };
    }

    private static final class Positioned extends ByteArrayInputStream {
        Positioned(byte[] b) {
            super(b);
        }

        int position() {
            return pos;
        }

        void seek(int p) {
            pos = p;
        }
    }
}
