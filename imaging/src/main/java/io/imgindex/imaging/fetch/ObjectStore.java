package io.imgindex.imaging.fetch;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

/**
 * Reads {@code s3a:} (and {@code s3:}) objects for the {@link ImageFetcher}: through Flink's file systems in the
 * job ({@link FlinkObjectStore}), through Hadoop's S3A in the servers. Implementations are thread-safe.
 */
public interface ObjectStore {

    /**
     * The size of an object in bytes.
     *
     * @throws FileNotFoundException if there is no such object (or it is a folder)
     */
    long size(URI uri) throws IOException;

    /** Opens an object for reading. */
    InputStream open(URI uri) throws IOException;

    /** A store that reads nothing: object URLs fail with a clear message. */
    static ObjectStore none() {
        return new ObjectStore() {
            @Override
            public long size(URI uri) throws IOException {
                throw new IOException("object store URLs such as " + uri + " are not readable here");
            }

            @Override
            public InputStream open(URI uri) throws IOException {
                throw new IOException("object store URLs such as " + uri + " are not readable here");
            }
        };
    }
}
