package io.imgindex.dedup;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.Comparator;

/**
 * Indexes identical bytes once: keyed by the SHA-256 of the fetched bytes, keeps one item (in BATCH mode the
 * one with the smallest id) and records the others as exact duplicates of it, similarity 1. Bytes the base
 * generation holds (an append, a stream on a base) are its item's: a copy is recorded as a duplicate of it.
 */
public class ExactDuplicateFunction extends KeepOneFunction {

    private static final long serialVersionUID = 1L;

    public ExactDuplicateFunction(boolean batch) {
        super(batch);
    }

    /** STREAMING on a base generation: {@code baseBytes} maps the SHA-256 of the base's items to their ids. */
    public ExactDuplicateFunction(BaseKeys.Source baseBytes) {
        super(false, baseBytes);
    }

    @Override
    protected Item baseItem(String sha256, String id) {
        Item base = Item.pending(id, "", null, null);
        base.sha256 = sha256;
        base.inBase = true;
        return base;
    }

    /** The base's item first (an append: it is indexed already), then the smallest id. */
    @Override
    protected Comparator<Item> order() {
        return Comparator.comparing((Item i) -> !i.inBase).thenComparing(i -> i.id);
    }

    /**
     * Items still pending (STREAMING, before the embedding) and items already embedded (BATCH finds exact copies
     * after the embedding) compete; failed ones pass through.
     */
    @Override
    protected boolean competes(Item item) {
        return item.status == Status.PENDING || item.status == Status.INDEXED;
    }

    @Override
    protected void reject(Item loser, Item winner) {
        loser.duplicateOf(winner.id, 1.0f, DuplicateRow.MATCH_EXACT);
        loser.duplicateOfBase = winner.inBase;
    }
}
