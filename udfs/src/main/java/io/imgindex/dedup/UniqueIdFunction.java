package io.imgindex.dedup;

import io.imgindex.item.Item;
import io.imgindex.item.Reason;
import java.util.Comparator;

/**
 * Keeps ids unique within a generation: of several input lines with the same id, one is kept (in BATCH mode
 * the one with the smallest URL, then the earliest source) and the others fail with {@code DUPLICATE_ID}.
 * Keyed by id; runs before fetching, so a repeated line costs no download.
 */
public class UniqueIdFunction extends KeepOneFunction {

    private static final long serialVersionUID = 1L;

    public UniqueIdFunction(boolean batch) {
        super(batch);
    }

    @Override
    protected Comparator<Item> order() {
        return Comparator.comparing((Item i) -> i.url).thenComparing(i -> i.source == null ? "" : i.source);
    }

    @Override
    protected void reject(Item loser, Item winner) {
        String why = loser.url.equals(winner.url)
                ? "the same URL is listed again at " + winner.source
                : "id '" + loser.id + "' is already used by " + winner.url + " at " + winner.source;
        loser.fail(Reason.DUPLICATE_ID, why);
    }
}
