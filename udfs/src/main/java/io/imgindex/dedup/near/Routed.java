package io.imgindex.dedup.near;

import io.imgindex.item.Item;

/**
 * An item on its way to one partition of the near-duplicate state: decided there if it is the item's home,
 * only remembered there (if it is kept) otherwise. A Flink POJO.
 */
public class Routed {

    /** The partition: the key of the near-duplicate operator. */
    public int partition;

    /** False in the item's home partition, where it is decided and passed on; true in the others. */
    public boolean replica;

    public Item item;

    public Routed() {}

    public Routed(int partition, boolean replica, Item item) {
        this.partition = partition;
        this.replica = replica;
        this.item = item;
    }
}
