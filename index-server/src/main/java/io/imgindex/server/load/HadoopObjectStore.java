package io.imgindex.server.load;

import io.imgindex.imaging.fetch.ObjectStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.Path;

/** Objects through Hadoop's file systems (S3A for {@code s3a:} URLs), for query images given by URL. */
public final class HadoopObjectStore implements ObjectStore {

    private final Configuration conf;

    public HadoopObjectStore(Configuration conf) {
        this.conf = conf;
    }

    @Override
    public long size(URI uri) throws IOException {
        Path p = path(uri);
        FileStatus s = p.getFileSystem(conf).getFileStatus(p);
        if (s.isDirectory()) {
            throw new FileNotFoundException(uri + " is a folder");
        }
        return s.getLen();
    }

    @Override
    public InputStream open(URI uri) throws IOException {
        Path p = path(uri);
        return p.getFileSystem(conf).open(p);
    }

    private static Path path(URI uri) {
        // Hadoop names the S3 connector s3a; s3:// URLs mean the same objects.
        return new Path(
                "s3".equals(uri.getScheme()) ? URI.create("s3a" + uri.toString().substring(2)) : uri);
    }
}
