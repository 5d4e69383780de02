package io.imgindex.format.segment;

import java.io.IOException;
import java.io.OutputStream;

/**
 * Where a segment's files go, as paths relative to the index root ({@code segments/shard=<k>/<id>/rows.parquet}):
 * a local folder, Flink's file systems in the job, S3. A file is not visible under its final name before
 * {@link #publish}; a discarded one never is.
 */
public interface SegmentOutput {

    /** Opens a new file for writing; fails if it exists. */
    OutputStream create(String rootRelative) throws IOException;

    /** Makes a file written with {@link #create} and closed visible under its name. */
    void publish(String rootRelative) throws IOException;

    /** Removes a file that will not be published; best effort. */
    void discard(String rootRelative);
}
