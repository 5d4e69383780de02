package io.imgindex.dedup.near;

import io.imgindex.item.Item;

/**
 * The order in which a BATCH run offers items to near-duplicate removal, as a record timestamp (BATCH mode sorts
 * a keyed input by key, then by timestamp): the most pixels first, then the most bytes, so the copy kept is the
 * largest, least compressed one; equal keys are ordered by id in {@link NearDuplicateFunction}. The items of the
 * generation an append builds on come first: they are kept, and new items are judged against them. (Exact copies
 * never reach the operator: they follow their original in {@link FollowFunction}.)
 */
public final class KeepOrder {

    private static final long MAX_PIXELS = (1L << 26) - 1;
    private static final long MAX_KIB = (1L << 36) - 1;

    private KeepOrder() {}

    public static long of(Item item) {
        if (item.inBase) {
            // Before every new item; spread out so that base items are not buffered as one tie.
            return Long.MIN_VALUE + 1 + (item.id.hashCode() & 0x7fffffffL);
        }
        long pixels = Math.min(MAX_PIXELS, Math.max(0L, (long) item.width * item.height));
        long kib = Math.min(MAX_KIB, Math.max(0L, item.bytes >> 10));
        return ((MAX_PIXELS - pixels) << 36) | (MAX_KIB - kib);
    }
}
