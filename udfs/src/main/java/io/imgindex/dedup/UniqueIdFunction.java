package io.imgindex.dedup;

import io.imgindex.imaging.Reason;
import io.imgindex.item.Item;
import java.util.Comparator;

/**
 * Keeps ids unique within a generation: of several input lines with the same id, one is kept (in BATCH mode
 * the one with the smallest URL, then the earliest source) and the others fail with {@code DUPLICATE_ID}. In an
 * append, or a stream on a base generation, an id the base holds is taken: a line with it fails with
 * {@code ALREADY_INDEXED}.
 * Keyed by id; runs before fetching, so a repeated line costs no download.
 */
public class UniqueIdFunction extends KeepOneFunction {

    private static final long serialVersionUID = 1L;

    public UniqueIdFunction(boolean batch) {
        super(batch);
    }

    /** STREAMING on a base generation: {@code baseIds} maps the base's ids to their URLs. */
    public UniqueIdFunction(BaseKeys.Source baseIds) {
        super(false, baseIds);
    }

    @Override
    protected Item baseItem(String id, String url) {
        Item base = Item.pending(id, url, null, null);
        base.inBase = true;
        return base;
    }

    /** The base's item first (an append), then the smallest URL, then the earliest source. */
    @Override
    protected Comparator<Item> order() {
        return Comparator.comparing((Item i) -> !i.inBase)
                .thenComparing(i -> i.url)
                .thenComparing(i -> i.source == null ? "" : i.source);
    }

    /** Pending lines compete, and the base's items of an append (already indexed). */
    @Override
    protected boolean competes(Item item) {
        return item.inBase || !item.isTerminal();
    }

    /** A base item keeps its id and goes no further: it is indexed already. */
    @Override
    protected boolean passes(Item winner) {
        return !winner.inBase;
    }

    @Override
    protected void reject(Item loser, Item winner) {
        if (winner.inBase) {
            loser.fail(
                    Reason.ALREADY_INDEXED,
                    "id '" + loser.id + "' is in the index already"
                            + (loser.url.equals(winner.url) ? " (the same URL)" : ", for " + winner.url));
            return;
        }
        String why = loser.url.equals(winner.url)
                ? "the same URL is listed again at " + winner.source
                : "id '" + loser.id + "' is already used by " + winner.url + " at " + winner.source;
        loser.fail(Reason.DUPLICATE_ID, why);
    }
}
