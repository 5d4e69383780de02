package io.imgindex.fetch;

import io.imgindex.imaging.fetch.ObjectStore;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.Path;

/** Objects through Flink's file systems: the S3 plugin the cluster (or the launcher) loaded. */
public final class FlinkObjectStore implements ObjectStore {

    @Override
    public long size(URI uri) throws IOException {
        Path path = new Path(uri);
        FileStatus status = path.getFileSystem().getFileStatus(path);
        if (status.isDir()) {
            throw new FileNotFoundException(uri + " is a folder");
        }
        return status.getLen();
    }

    @Override
    public InputStream open(URI uri) throws IOException {
        Path path = new Path(uri);
        return path.getFileSystem().open(path);
    }
}
