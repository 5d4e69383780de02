package io.imgindex.dedup.near;

/**
 * Where a {@link NearDuplicateIndex} keeps its state: kept vectors by handle, buckets of handles, the number of
 * handles given out and the centre. Backed by Flink keyed state in the job ({@code FlinkLeaderStore}) and by maps
 * in benchmarks and tests ({@link InMemoryLeaderStore}).
 */
public interface LeaderStore {

    /** The kept vector with this handle, or null if it was never stored or has expired. */
    Leader leader(long handle) throws Exception;

    void putLeader(long handle, Leader leader) throws Exception;

    /** The handles in a bucket, oldest first, or null. */
    long[] bucket(long key) throws Exception;

    void putBucket(long key, long[] handles) throws Exception;

    /** Handles given out so far (the next handle). */
    long handles() throws Exception;

    void setHandles(long handles) throws Exception;

    /** The centre of the hyperplanes, or null while warming up. */
    float[] center() throws Exception;

    void setCenter(float[] center) throws Exception;
}
