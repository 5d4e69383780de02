package io.imgindex.dedup;

import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.TaskInfo;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps one item per key and hands the others to {@link #reject}, which marks them terminal (they go to
 * {@link Outcomes#TERMINAL}).
 *
 * <p>Which one is kept is deterministic: in BATCH mode all items of a key are gathered and the smallest by
 * {@link #order()} wins, whatever order they arrived in, so a rerun gives the same index. In STREAMING mode
 * items cannot wait for the end, so the first to arrive wins and is remembered in keyed state; restored from a
 * checkpoint or savepoint, that choice stands. A stream that builds on a generation ({@code --base-generation})
 * looks a new key up in that generation's keys first ({@link BaseKeys}, loaded for the subtask's key groups when
 * it opens): an item the base holds already is the winner, as in an append.
 */
public abstract class KeepOneFunction extends KeyedProcessFunction<String, Item, Item> implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;
    private static final Logger LOG = LoggerFactory.getLogger(KeepOneFunction.class);

    private final boolean batch;
    private final BaseKeys.Source baseKeys;
    private transient ListState<Item> group;
    private transient ValueState<Item> kept;
    private transient BaseKeys base;
    private transient long baseGeneration;

    /** @param batch whether the job runs in BATCH mode (gather, then choose) or STREAMING (first wins) */
    protected KeepOneFunction(boolean batch) {
        this(batch, null);
    }

    /**
     * @param baseKeys STREAMING on a base generation: its keys, else null (an append's base items come as items)
     */
    protected KeepOneFunction(boolean batch, BaseKeys.Source baseKeys) {
        if (batch && baseKeys != null) {
            throw new IllegalArgumentException("a BATCH append reads its base's items as input, not as keys");
        }
        this.batch = batch;
        this.baseKeys = baseKeys;
    }

    /** The base's item that holds {@code key}, with the value {@link BaseKeys} keeps for it (STREAMING on a base). */
    protected Item baseItem(String key, String value) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " takes no base keys");
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
    public void initializeState(FunctionInitializationContext context) throws Exception {
        if (baseKeys != null) {
            baseGeneration = BaseGenerationState.initialize(context, baseKeys.generation());
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // The base generation's state is written once, when the operator starts.
    }

    @Override
    public void open(Configuration parameters) throws IOException {
        TypeInformation<Item> type = TypeInformation.of(Item.class);
        if (batch) {
            group = getRuntimeContext().getListState(new ListStateDescriptor<>("group", type));
        } else {
            kept = getRuntimeContext().getState(new ValueStateDescriptor<>("kept", type));
            if (baseGeneration > 0) {
                TaskInfo task = getRuntimeContext().getTaskInfo();
                int max = task.getMaxNumberOfParallelSubtasks();
                int parallelism = task.getNumberOfParallelSubtasks();
                int me = task.getIndexOfThisSubtask();
                base = baseKeys.load(
                        baseGeneration,
                        key -> KeyGroupRangeAssignment.assignKeyToParallelOperator(key, max, parallelism) == me);
                LOG.info(
                        "{} {}/{}: {} keys of base generation {} ({} bytes)",
                        getClass().getSimpleName(),
                        me,
                        parallelism,
                        base.size(),
                        baseGeneration,
                        base.bytes());
            }
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
        if (winner == null && base != null) {
            String value = base.get(ctx.getCurrentKey());
            winner = value == null ? null : baseItem(ctx.getCurrentKey(), value);
        }
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
