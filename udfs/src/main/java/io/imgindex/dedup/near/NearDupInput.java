package io.imgindex.dedup.near;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;
import org.apache.flink.util.OutputTag;

/**
 * Sorts what leaves exact-duplicate removal for the near-duplicate steps: embedded items go on to be routed and
 * decided; exact copies go to {@link FollowFunction} ({@link #FOLLOW}) to end where their original ends; a failed
 * item, or one already found near an item of a stream's base generation, goes straight to the writers ({@link
 * #DONE}) and its outcome to {@link FollowFunction}, for its copies.
 */
public class NearDupInput extends ProcessFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    /** Exact copies, and the decisions of items that never reach the near-duplicate operator. */
    public static final OutputTag<Settled> FOLLOW = new OutputTag<>("near-dup-follow") {};

    /** Items whose outcome is settled already. */
    public static final OutputTag<Item> DONE = new OutputTag<>("near-dup-done") {};

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        if (item.status == Status.DUPLICATE && DuplicateRow.MATCH_EXACT.equals(item.match)) {
            if (item.duplicateOfBase) {
                ctx.output(DONE, item); // a copy of an item of the base: that item is indexed, so this is final
            } else {
                ctx.output(FOLLOW, Settled.copy(item));
            }
        } else if (item.status == Status.INDEXED && item.vector != null) {
            out.collect(item);
        } else if (item.status == Status.DUPLICATE && DuplicateRow.MATCH_NEAR.equals(item.match)) {
            // Found near an item of the generation a stream builds on: decided, and its exact copies follow it.
            ctx.output(DONE, item);
            ctx.output(FOLLOW, Settled.decision(item.id, Decision.duplicateOf(item.duplicateOf, item.similarity)));
        } else {
            ctx.output(DONE, item);
            if (item.status == Status.FAILED) {
                ctx.output(FOLLOW, Settled.decision(item.id, Decision.failed(item.reason, item.message)));
            }
        }
    }
}
