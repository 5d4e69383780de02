package io.imgindex.item;

import java.util.Collections;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * An async stage over {@link Item}s: passes terminal items through, starts {@link #call} for pending ones, and
 * completes each item exactly once, either with the call's result ({@link #apply}) or, if the operator's
 * timeout comes first, as {@link #timedOut}. Never fails the job for one item.
 *
 * @param <R> what the call produces
 */
public abstract class ItemAsyncFunction<R> extends RichAsyncFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    private transient InFlight inFlight;

    /** Starts the work for a pending item. The future may complete on any thread. */
    protected abstract CompletableFuture<R> call(Item item);

    /** Records the call's result (or error) in the item. */
    protected abstract void apply(Item item, R result, Throwable error);

    /** Marks an item whose call did not finish within the operator's timeout. */
    protected abstract void timedOut(Item item);

    @Override
    public final void asyncInvoke(Item item, ResultFuture<Item> out) {
        if (item.isTerminal()) {
            out.complete(Collections.singleton(item));
            return;
        }
        if (inFlight == null) {
            inFlight = new InFlight();
        }
        inFlight.start(item);
        CompletableFuture<R> call;
        try {
            call = call(item);
        } catch (RuntimeException e) {
            call = CompletableFuture.failedFuture(e);
        }
        call.whenComplete((result, error) -> {
            if (inFlight.claim(item)) {
                apply(item, result, error);
                out.complete(Collections.singleton(item));
            }
            // else: the operator timed the item out and emitted it already.
        });
    }

    @Override
    public final void timeout(Item item, ResultFuture<Item> out) {
        if (inFlight != null && inFlight.claim(item)) {
            timedOut(item);
            out.complete(Collections.singleton(item));
        }
    }
}
