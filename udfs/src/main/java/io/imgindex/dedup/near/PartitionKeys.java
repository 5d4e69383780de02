package io.imgindex.dedup.near;

import java.util.HashSet;
import java.util.Set;
import org.apache.flink.api.java.functions.KeySelector;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;

/**
 * The keys of the near-duplicate operator: one per partition, each chosen for the key group it falls in. Flink
 * gives each subtask a contiguous range of key groups, so where the partitions sit on the range of key groups
 * decides how the work shares out at every parallelism (hashing the partition numbers does not: 32 partitions on 2
 * subtasks came out 13 and 19).
 *
 * <p>A routing trained with {@linkplain Routing#weights weights} (each partition's share of the training sample)
 * places each partition at the middle of its share of the range: partition {@code i} falls in key group {@code
 * MAX_PARALLELISM * (w_0 + ... + w_(i-1) + w_i / 2) / W}, so a subtask's range of key groups holds about its share
 * of the items, give or take one partition, at any parallelism; partitions of unequal size no longer make one subtask
 * the busiest. Without weights (a routing restored from a savepoint taken before they were kept) partition {@code
 * i} of {@code n} falls in key group {@code i * MAX_PARALLELISM / n}, as it did then, so restored state stays
 * where it was. The operator's max parallelism must be {@link #MAX_PARALLELISM}; it is part of the savepoint's
 * layout.
 *
 * <p>As a key selector: a record's own {@link Routed#key} (set by the router, which has the routing), else the
 * key of its partition here.
 */
public final class PartitionKeys implements KeySelector<Routed, Integer> {

    private static final long serialVersionUID = 1L;

    /** The near-duplicate operator's max parallelism (key groups). */
    public static final int MAX_PARALLELISM = 1024;

    private final int[] keys;

    /** @param partitions the most partitions a routing can have, placed evenly (a smaller routing uses the first) */
    public PartitionKeys(int partitions) {
        int[] groups = new int[partitions];
        for (int i = 0; i < partitions; i++) {
            groups[i] = (int) ((long) i * MAX_PARALLELISM / partitions);
        }
        keys = keysIn(groups);
    }

    private PartitionKeys(int[] keys) {
        this.keys = keys;
    }

    /** The keys of a routing's partitions: placed by its weights where it has them, else evenly. */
    public static PartitionKeys of(Routing routing) {
        float[] w = routing.weights;
        if (w == null || w.length != routing.partitions()) {
            return new PartitionKeys(routing.partitions());
        }
        double total = 0;
        for (float x : w) {
            total += Math.max(0f, x);
        }
        if (!(total > 0)) {
            return new PartitionKeys(routing.partitions());
        }
        int[] groups = new int[w.length];
        double before = 0;
        for (int i = 0; i < w.length; i++) {
            double share = Math.max(0f, w[i]);
            groups[i] = (int) Math.min(MAX_PARALLELISM - 1, Math.floor(MAX_PARALLELISM * (before + share / 2) / total));
            before += share;
        }
        return new PartitionKeys(keysIn(groups));
    }

    /** The key of a partition. */
    public int key(int partition) {
        return partition < keys.length ? keys[partition] : partition;
    }

    @Override
    public Integer getKey(Routed r) {
        return r.key != Routed.NO_KEY ? r.key : key(r.partition);
    }

    /** For each key group, the smallest key in it that no earlier partition has. */
    private static int[] keysIn(int[] groups) {
        int[] keys = new int[groups.length];
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < groups.length; i++) {
            int k = 0;
            while (used.contains(k) || KeyGroupRangeAssignment.assignToKeyGroup(k, MAX_PARALLELISM) != groups[i]) {
                k++;
            }
            used.add(k);
            keys[i] = k;
        }
        return keys;
    }
}
