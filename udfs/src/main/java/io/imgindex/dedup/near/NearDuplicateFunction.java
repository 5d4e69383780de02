package io.imgindex.dedup.near;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.apache.flink.api.common.state.MapState;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.state.StateTtlConfig;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Near-duplicate removal after the embedding: every embedded item is offered to a {@link NearDuplicateIndex}
 * whose leaders, buckets and centre live in keyed state, so the decision survives checkpoints and savepoints and
 * works the same in BATCH and STREAMING. Exact duplicates (which skipped the embedding) pass through here too and
 * follow the item whose bytes they share: if that one became a near-duplicate of L, so do they; if it failed, so
 * do they. So every duplicate row names an indexed item.
 *
 * <p>Order. In STREAMING mode items are decided as they arrive: the first of a group is kept. In BATCH mode the
 * input is sorted by {@link KeepOrder} (most pixels, then most bytes first; ties by id), so a rerun keeps the
 * same items whatever the parallelism or arrival order.
 *
 * <p>The function expects one key (all items on one key; see {@code IndexPipeline}): a duplicate's leader can
 * be anywhere in vector space, so the candidate search needs all leaders. The buckets bound the work per item.
 *
 * <p>State, per key: leaders (id + unit vector, {@code 4 * dimension + ~40} bytes each), bucket entries (a handle
 * and the leader's signature, {@code 8 * (1 + ceil(tables * bits / 64))} bytes per table per leader: 40 with the
 * defaults; at most {@code bucketCapacity} per bucket), one decision per decided
 * item ({@code ~60} bytes) and, in STREAMING mode, exact duplicates waiting for their item's decision. With a
 * TTL (STREAMING) all of it expires that long after it was written, which bounds the state to the items of one
 * TTL window; an item whose leader has expired is kept again.
 */
public class NearDuplicateFunction extends KeyedProcessFunction<Integer, Item, Item> {

    private static final long serialVersionUID = 1L;

    private static final Comparator<Item> BY_ID = Comparator.comparing((Item i) -> i.id);

    private final NearDupParams params;
    private final int dimension;
    private final boolean batch;

    private transient NearDuplicateIndex index;
    private transient MapState<String, Decision> decisions;
    private transient MapState<String, List<Item>> waiting;
    private transient List<Item> tied;
    private transient long tiedTimestamp;
    private transient Counter nearDuplicates;
    private transient Counter followed;
    private transient Counter leadersKept;
    private transient long reportedComparisons;
    private transient Counter comparisons;
    private transient Counter evictions;
    private transient long reportedEvictions;
    private transient Counter screened;
    private transient long reportedScreened;

    public NearDuplicateFunction(NearDupParams params, int dimension, boolean batch) {
        this.params = params;
        this.dimension = dimension;
        this.batch = batch;
    }

    @Override
    public void open(Configuration parameters) {
        StateTtlConfig ttl = !batch && params.expires()
                ? StateTtlConfig.newBuilder(params.ttl())
                        .setUpdateType(StateTtlConfig.UpdateType.OnCreateAndWrite)
                        .setStateVisibility(StateTtlConfig.StateVisibility.NeverReturnExpired)
                        .build()
                : null;
        MapStateDescriptor<Long, Leader> leaders =
                new MapStateDescriptor<>("leaders", Types.LONG, TypeInformation.of(Leader.class));
        MapStateDescriptor<Long, long[]> buckets =
                new MapStateDescriptor<>("buckets", Types.LONG, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);
        ValueStateDescriptor<Long> handles = new ValueStateDescriptor<>("handles", Types.LONG);
        ValueStateDescriptor<float[]> center =
                new ValueStateDescriptor<>("center", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
        MapStateDescriptor<String, Decision> decided =
                new MapStateDescriptor<>("decisions", Types.STRING, TypeInformation.of(Decision.class));
        MapStateDescriptor<String, List<Item>> pending =
                new MapStateDescriptor<>("waiting", Types.STRING, Types.LIST(TypeInformation.of(Item.class)));
        if (ttl != null) {
            leaders.enableTimeToLive(ttl);
            buckets.enableTimeToLive(ttl);
            decided.enableTimeToLive(ttl);
            pending.enableTimeToLive(ttl);
        }
        index = new NearDuplicateIndex(
                params,
                dimension,
                new FlinkLeaderStore(
                        getRuntimeContext().getMapState(leaders),
                        getRuntimeContext().getMapState(buckets),
                        getRuntimeContext().getState(handles),
                        getRuntimeContext().getState(center)));
        decisions = getRuntimeContext().getMapState(decided);
        waiting = getRuntimeContext().getMapState(pending);
        tied = new ArrayList<>();
        tiedTimestamp = Long.MIN_VALUE;
        var group = getRuntimeContext().getMetricGroup().addGroup("nearDuplicates");
        nearDuplicates = group.counter("found");
        followed = group.counter("exactCopiesFollowed");
        leadersKept = group.counter("kept");
        comparisons = group.counter("comparisons");
        evictions = group.counter("bucketEvictions");
        screened = group.counter("screenedBySignature");
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) throws Exception {
        if (isExactDuplicate(item)) {
            if (batch) {
                flushTied(out); // in BATCH exact duplicates come last: every item before them is decided now
            }
            follow(item, out);
            return;
        }
        if (!batch) {
            decide(item, out);
            return;
        }
        // BATCH: items arrive sorted by KeepOrder; those with equal keys are decided in id order.
        long ts = ctx.timestamp() == null ? Long.MIN_VALUE : ctx.timestamp();
        if (ts != tiedTimestamp) {
            flushTied(out);
            tiedTimestamp = ts;
        }
        tied.add(item);
        // The timer fires once this key's input is done (BATCH ends event time there).
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Item> out) throws Exception {
        flushTied(out);
    }

    private void flushTied(Collector<Item> out) throws Exception {
        if (tied.isEmpty()) {
            return;
        }
        tied.sort(BY_ID);
        for (Item item : tied) {
            decide(item, out);
        }
        tied.clear();
    }

    private void decide(Item item, Collector<Item> out) throws Exception {
        Decision decision;
        if (item.inBase && item.vector != null) {
            index.keepLeader(item.id, item.vector); // indexed already: kept whatever it resembles
            decision = Decision.kept();
            leadersKept.inc();
        } else if (item.status == Status.INDEXED && item.vector != null) {
            NearDuplicateIndex.Match match = index.offer(item.id, item.vector);
            if (match == null) {
                decision = Decision.kept();
                leadersKept.inc();
            } else {
                item.duplicateOf(match.id(), match.similarity(), DuplicateRow.MATCH_NEAR);
                decision = Decision.duplicateOf(match.id(), match.similarity());
                nearDuplicates.inc();
            }
            reportWork();
        } else if (item.status == Status.FAILED) {
            decision = Decision.failed(item.reason, item.message);
        } else {
            out.collect(item); // nothing else reaches here; pass it on untouched
            return;
        }
        decisions.put(item.id, decision);
        out.collect(item);
        List<Item> copies = waiting.get(item.id);
        if (copies != null) {
            waiting.remove(item.id);
            for (Item copy : copies) {
                out.collect(resolve(copy, decision));
            }
        }
    }

    /** An exact duplicate follows the item whose bytes it shares, or waits for that item's decision. */
    private void follow(Item copy, Collector<Item> out) throws Exception {
        Decision decision = decisions.get(copy.duplicateOf);
        if (decision != null) {
            out.collect(resolve(copy, decision));
        } else if (batch) {
            out.collect(copy); // cannot happen: in BATCH exact duplicates come after every decision
        } else {
            List<Item> copies = waiting.get(copy.duplicateOf);
            List<Item> grown = copies == null ? new ArrayList<>() : new ArrayList<>(copies);
            grown.add(copy);
            waiting.put(copy.duplicateOf, grown);
        }
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

    private void reportWork() {
        comparisons.inc(index.comparisons() - reportedComparisons);
        reportedComparisons = index.comparisons();
        evictions.inc(index.evictions() - reportedEvictions);
        reportedEvictions = index.evictions();
        screened.inc(index.screened() - reportedScreened);
        reportedScreened = index.screened();
    }

    private static boolean isExactDuplicate(Item item) {
        return item.status == Status.DUPLICATE && DuplicateRow.MATCH_EXACT.equals(item.match);
    }

    /** {@link LeaderStore} over the operator's keyed state. */
    private record FlinkLeaderStore(
            MapState<Long, Leader> leaders,
            MapState<Long, long[]> buckets,
            ValueState<Long> handleCount,
            ValueState<float[]> centerState)
            implements LeaderStore {

        @Override
        public Leader leader(long handle) throws Exception {
            return leaders.get(handle);
        }

        @Override
        public void putLeader(long handle, Leader leader) throws Exception {
            leaders.put(handle, leader);
        }

        @Override
        public long[] bucket(long key) throws Exception {
            return buckets.get(key);
        }

        @Override
        public void putBucket(long key, long[] handles) throws Exception {
            buckets.put(key, handles);
        }

        @Override
        public long handles() throws Exception {
            Long n = handleCount.value();
            return n == null ? 0 : n;
        }

        @Override
        public void setHandles(long handles) throws Exception {
            handleCount.update(handles);
        }

        @Override
        public float[] center() throws Exception {
            return centerState.value();
        }

        @Override
        public void setCenter(float[] center) throws Exception {
            centerState.update(center);
        }
    }
}
