package io.imgindex.dedup.near;

import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The keys of the near-duplicate operator: one per partition, chosen so that partition {@code i} of {@code n}
 * falls in key group {@code i * MAX_PARALLELISM / n}. Flink gives each subtask a contiguous range of key groups,
 * so at any parallelism the partitions are shared out evenly (one more or less), which hashing the partition
 * numbers does not do (32 partitions on 2 subtasks came out 13 and 19). The operator's max parallelism must be
 * {@link #MAX_PARALLELISM}; it is part of the savepoint's layout.
 */
public final class PartitionKeys implements KeySelector<Routed, Integer> {

    private static final long serialVersionUID = 1L;

    /** The near-duplicate operator's max parallelism (key groups). */
    public static final int MAX_PARALLELISM = 1024;

    private final int[] keys;

    /** @param partitions the most partitions a routing can have (a smaller routing uses the first keys) */
    public PartitionKeys(int partitions) {
        keys = new int[partitions];
        for (int i = 0; i < partitions; i++) {
            int group = (int) ((long) i * MAX_PARALLELISM / partitions);
            int k = 0;
            while (KeyGroupRangeAssignment.assignToKeyGroup(k, MAX_PARALLELISM) != group) {
                k++;
            }
            keys[i] = k;
        }
    }

    @Override
    public Integer getKey(Routed r) {
        return r.partition < keys.length ? keys[r.partition] : r.partition;
    }
}
