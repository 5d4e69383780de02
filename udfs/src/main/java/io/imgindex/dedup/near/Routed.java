package io.imgindex.dedup.near;

import io.imgindex.item.Item;

/**
 * An item on its way to one partition of the near-duplicate state: decided there if it is the item's home,
 * only remembered there (if it is kept) otherwise. A Flink POJO.
 */
public class Routed {

    /** No {@link #key}: the operator's key selector places the partition evenly ({@link PartitionKeys}). */
    public static final int NO_KEY = -1;

    /** The partition. */
    public int partition;

    /**
     * The near-duplicate operator's key for the partition ({@link PartitionKeys#of}, from the routing's weights), or
     * {@link #NO_KEY}.
     */
    public int key = NO_KEY;

    /** False in the item's home partition, where it is decided and passed on; true in the others. */
    public boolean replica;

    /** An item, or null in the record that gives a partition its LSH centre ({@link #center}). */
    public Item item;

    /** The centre the partition's hyperplanes pass through ({@link Routing#center()}), or null. */
    public float[] center;

    /**
     * The item's LSH sketch against that centre ({@link Hyperplanes.Sketch#probeKeys()}), computed by the router
     * before the keyed exchange, where the work spreads over every subtask; or null.
     */
    public long[] probeKeys;

    /** The item's LSH signature ({@link Hyperplanes.Sketch#signature()}), with {@link #probeKeys}. */
    public long[] signature;

    public Routed() {}

    /** The record that gives a partition its centre, sent by each router before its first item there. */
    public static Routed center(int partition, float[] center) {
        Routed r = new Routed(partition, false, null);
        r.center = center;
        return r;
    }

    /** The same, keyed for the operator. */
    public Routed keyed(PartitionKeys keys) {
        key = keys.key(partition);
        return this;
    }

    public Routed(int partition, boolean replica, Item item) {
        this.partition = partition;
        this.replica = replica;
        this.item = item;
    }

    /** The sketch the router computed, or null. */
    public Hyperplanes.Sketch sketch(int keysPerTable) {
        return probeKeys == null ? null : new Hyperplanes.Sketch(probeKeys, signature, keysPerTable);
    }
}
