package io.imgindex.dedup;

import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Keeps one item per key and hands the others to {@link #reject}, which marks them terminal (they go to
 * {@link Outcomes#TERMINAL}).
 *
 * <p>Which one is kept is deterministic: in BATCH mode all items of a key are gathered and the smallest by
 * {@link #order()} wins, whatever order they arrived in, so a rerun gives the same index. In STREAMING mode
 * items cannot wait for the end, so the first to arrive wins and is remembered in keyed state; restored from a
 * checkpoint or savepoint, that choice stands.
 */
public abstract class KeepOneFunction extends KeyedProcessFunction<String, Item, Item> {

    private static final long serialVersionUID = 1L;

    private final boolean batch;
    private transient ListState<Item> group;
    private transient ValueState<Item> kept;

    /** @param batch whether the job runs in BATCH mode (gather, then choose) or STREAMING (first wins) */
    protected KeepOneFunction(boolean batch) {
        this.batch = batch;
    }

    /** The order that picks the kept item in BATCH mode: the smallest wins. */
    protected abstract Comparator<Item> order();

    /** Marks an item that lost to {@code winner} as terminal. */
    protected abstract void reject(Item loser, Item winner);

    /** Whether the kept item goes on (an item of the base an append builds on competes, but is written already). */
    protected boolean passes(Item winner) {
        return true;
    }

    /** Whether an item takes part in the choice; the others pass through to {@link Outcomes#TERMINAL}. */
    protected boolean competes(Item item) {
        return !item.isTerminal();
    }

    @Override
    public void open(Configuration parameters) {
        TypeInformation<Item> type = TypeInformation.of(Item.class);
        if (batch) {
            group = getRuntimeContext().getListState(new ListStateDescriptor<>("group", type));
        } else {
            kept = getRuntimeContext().getState(new ValueStateDescriptor<>("kept", type));
        }
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) throws Exception {
        if (!competes(item)) {
            ctx.output(Outcomes.TERMINAL, item);
            return;
        }
        if (batch) {
            if (!group.get().iterator().hasNext()) {
                // In BATCH mode event time jumps to the end once a key's input is done, firing this timer.
                ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
            }
            group.add(item);
            return;
        }
        Item winner = kept.value();
        if (winner == null) {
            kept.update(summary(item));
            out.collect(item);
        } else {
            reject(item, winner);
            ctx.output(Outcomes.TERMINAL, item);
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Item> out) throws Exception {
        List<Item> items = new ArrayList<>();
        group.get().forEach(items::add);
        group.clear();
        if (items.isEmpty()) {
            return;
        }
        items.sort(order());
        Item winner = items.get(0);
        if (passes(winner)) {
            out.collect(winner);
        }
        for (int i = 1; i < items.size(); i++) {
            Item loser = items.get(i);
            reject(loser, winner);
            ctx.output(Outcomes.TERMINAL, loser);
        }
    }

    /** What is remembered of a kept item in STREAMING mode: enough to name it, not its pixels. */
    private static Item summary(Item item) {
        Item s = Item.pending(item.id, item.url, null, item.source);
        s.sha256 = item.sha256;
        return s;
    }
}
