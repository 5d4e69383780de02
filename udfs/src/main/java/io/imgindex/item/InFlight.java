package io.imgindex.item;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Items an async function has started on and not yet completed. An async call can end twice, by its own
 * callback and by the operator's timeout; whichever {@link #claim}s the item first owns it and completes it,
 * the other does nothing. {@link Item} does not override {@code equals}, so membership is by identity.
 * Thread-safe.
 */
final class InFlight {

    private final Set<Item> items = ConcurrentHashMap.newKeySet();

    /** Records that work on the item has started. */
    void start(Item item) {
        items.add(item);
    }

    /** Whether the caller is the first to finish the item (and so must complete it). */
    boolean claim(Item item) {
        return items.remove(item);
    }
}
