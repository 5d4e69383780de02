package io.imgindex.dedup.near;

import io.imgindex.item.Item;

/**
 * What the step that resolves exact copies meets under one item id: the decision about that item (kept, a near
 * duplicate of another, failed), or one of its exact copies waiting to end where it ended. A Flink POJO.
 */
public class Settled {

    /** The id of the item decided: its own id for a decision, the id it copies for an exact copy. */
    public String id;

    /** The decision about item {@link #id}, or null. */
    public Decision decision;

    /** An exact copy of item {@link #id}, or null. */
    public Item copy;

    public Settled() {}

    public static Settled decision(String id, Decision decision) {
        Settled s = new Settled();
        s.id = id;
        s.decision = decision;
        return s;
    }

    public static Settled copy(Item copy) {
        Settled s = new Settled();
        s.id = copy.duplicateOf;
        s.copy = copy;
        return s;
    }
}
