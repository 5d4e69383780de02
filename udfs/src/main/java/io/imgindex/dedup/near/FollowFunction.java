package io.imgindex.dedup.near;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Exact copies end where the item whose bytes they share ended, keyed by that item's id: kept, it stays their
 * original; a near duplicate of L, they are near duplicates of L with its similarity; failed, they fail with its
 * reason. The near-duplicate operator sends every decision here (a few dozen bytes, not the item), so copies,
 * which skip the embedding and carry no vector, never need to find the partition their original was decided in.
 *
 * <p>BATCH: a key's decision and copies may come in any order; they are resolved when the key's input ends.
 * STREAMING: a copy that comes before its original's decision waits for it (in state, with the near-duplicate
 * TTL when one is set), and the decision is remembered for copies still to come.
 */
public class FollowFunction extends KeyedProcessFunction<String, Settled, Item> {

    private static final long serialVersionUID = 1L;

    private final boolean batch;
    private final NearDupParams params;

    private transient ValueState<Decision> decision;
    private transient ListState<Item> waiting;
    private transient Counter followed;

    public FollowFunction(NearDupParams params, boolean batch) {
        this.params = params;
        this.batch = batch;
    }

    @Override
    public void open(Configuration parameters) {
        ValueStateDescriptor<Decision> decided =
                new ValueStateDescriptor<>("decision", TypeInformation.of(Decision.class));
        ListStateDescriptor<Item> pending = new ListStateDescriptor<>("waiting", TypeInformation.of(Item.class));
        if (!batch && params.expires()) {
            StateTtlConfig ttl = StateTtlConfig.newBuilder(params.ttl())
                    .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                    .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                    .build();
            decided.enableTimeToLive(ttl);
            pending.enableTimeToLive(ttl);
        }
        decision = getRuntimeContext().getState(decided);
        waiting = getRuntimeContext().getListState(pending);
        followed =
                getRuntimeContext().getMetricGroup().addGroup("nearDuplicates").counter("exactCopiesFollowed");
    }

    @Override
    public void processElement(Settled in, Context ctx, Collector<Item> out) throws Exception {
        if (in.decision != null) {
            decision.update(in.decision);
            if (batch) {
                return; // the copies are resolved when the key ends
            }
            Iterable<Item> copies = waiting.get();
            if (copies != null) {
                for (Item copy : copies) {
                    out.collect(resolve(copy, in.decision));
                }
                waiting.clear();
            }
            return;
        }
        Decision known = batch ? null : decision.value();
        if (known != null) {
            out.collect(resolve(in.copy, known));
        } else {
            waiting.add(in.copy);
            if (batch) {
                ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE); // fires when this key's input ends
            }
        }
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Item> out) throws Exception {
        Decision known = decision.value();
        List<Item> copies = new ArrayList<>();
        waiting.get().forEach(copies::add);
        for (Item copy : copies) {
            // Without a decision (its original never reached a decision: cannot happen) a copy stays as it came.
            out.collect(known == null ? copy : resolve(copy, known));
        }
        waiting.clear();
    }

    private Item resolve(Item copy, Decision decision) {
        switch (decision.outcome) {
            case Decision.DUPLICATE -> {
                followed.inc();
                copy.duplicateOf(decision.target, decision.similarity, DuplicateRow.MATCH_NEAR);
            }
            case Decision.FAILED -> {
                followed.inc();
                String original = copy.duplicateOf;
                copy.duplicateOf = null;
                copy.match = null;
                copy.fail(decision.target, "the same bytes as " + original + ", which failed: " + decision.message);
            }
            default -> {}
        }
        return copy;
    }
}
