package io.imgindex.output;

import io.imgindex.format.segment.SegmentOutput;
import java.io.IOException;
import java.io.OutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;

/**
 * Segment files through Flink's file systems, under an index root: on a file system written under a hidden
 * {@code .<name>.inprogress} name and renamed when published; on an object store (S3), where an upload becomes
 * visible only when complete, straight under the final name.
 */
final class FlinkSegmentOutput implements SegmentOutput {

    private final Path root;

    FlinkSegmentOutput(Path indexRoot) {
        this.root = indexRoot;
    }

    private Path done(String rootRelative) {
        return new Path(root, rootRelative);
    }

    private Path writing(String rootRelative) throws IOException {
        Path done = done(rootRelative);
        return renames(done) ? new Path(done.getParent(), "." + done.getName() + ".inprogress") : done;
    }

    private static boolean renames(Path p) throws IOException {
        return !Generations.isObjectStore(p.getFileSystem());
    }

    @Override
    public OutputStream create(String rootRelative) throws IOException {
        Path w = writing(rootRelative);
        return w.getFileSystem().create(w, FileSystem.WriteMode.NO_OVERWRITE);
    }

    @Override
    public void publish(String rootRelative) throws IOException {
        Path done = done(rootRelative);
        Path w = writing(rootRelative);
        if (!w.equals(done) && !done.getFileSystem().rename(w, done)) {
            throw new IOException("could not rename " + w + " to " + done);
        }
    }

    @Override
    public void discard(String rootRelative) {
        try {
            Path w = writing(rootRelative);
            w.getFileSystem().delete(w, false);
        } catch (IOException e) {
            // Best effort: an unlisted file of this run; the committer or retention removes it.
        }
    }
}
