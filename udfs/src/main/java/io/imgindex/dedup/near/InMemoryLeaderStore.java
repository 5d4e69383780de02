package io.imgindex.dedup.near;

import java.util.HashMap;
import java.util.Map;

/** A {@link LeaderStore} in plain maps, for benchmarks and tests. Not thread-safe. */
public final class InMemoryLeaderStore implements LeaderStore {

    private final Map<Long, Leader> leaders = new HashMap<>();
    private final Map<Long, long[]> buckets = new HashMap<>();
    private long handles;
    private float[] center;

    @Override
    public Leader leader(long handle) {
        return leaders.get(handle);
    }

    @Override
    public void putLeader(long handle, Leader leader) {
        leaders.put(handle, leader);
    }

    @Override
    public long[] bucket(long key) {
        return buckets.get(key);
    }

    @Override
    public void putBucket(long key, long[] handles) {
        buckets.put(key, handles);
    }

    @Override
    public long handles() {
        return handles;
    }

    @Override
    public void setHandles(long handles) {
        this.handles = handles;
    }

    @Override
    public float[] center() {
        return center;
    }

    @Override
    public void setCenter(float[] center) {
        this.center = center;
    }

    /** Longs held by all buckets (an entry is one: a handle and a signature fragment). */
    public long bucketLongs() {
        return buckets.values().stream().mapToLong(b -> b.length).sum();
    }

    public int buckets() {
        return buckets.size();
    }

    public int leaders() {
        return leaders.size();
    }
}
