package io.imgindex.dedup.near;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
import org.apache.flink.util.OutputTag;

/**
 * Near-duplicate removal after the embedding, one partition of the vector space per key: every embedded item is
 * offered to the {@link NearDuplicateIndex} of its home partition (see {@link Routing}), whose leaders, buckets
 * and centre live in keyed state, so the decision survives checkpoints and savepoints, works the same in BATCH
 * and STREAMING, and the partitions spread over the operator's subtasks (and move between them when a savepoint
 * is restored at another parallelism: the partitions, not the subtasks, are the keys). An item kept in its home is
 * also remembered, as a leader, in the neighbouring partitions its routing names ({@link Routed#replica}), unless
 * a leader there already covers it.
 *
 * <p>Every decision made in a home partition is also sent, as a {@link Settled} record, to {@link #DECISIONS}: the
 * step that resolves exact copies ({@link FollowFunction}) follows it.
 *
 * <p>Order. In STREAMING mode items are decided as they arrive: the first of a group is kept. In BATCH mode each
 * partition's input is sorted by {@link KeepOrder} (most pixels, then most bytes first; ties by id), so a rerun
 * keeps the same items whatever the parallelism or arrival order.
 *
 * <p>A replica is remembered where nothing covers it locally, which can differ from its home's decision: then a
 * later item of that partition may name, as the item it duplicates, one that was itself found a duplicate in its
 * own home (a chain of two; {@code nearDuplicates.namedReplicas} counts the items that named a replica). The
 * similarity recorded is always the one computed.
 *
 * <p>State, per partition: leaders (id + int8 codes, {@code dimension + ~40} bytes each), bucket entries (a handle
 * and 32 bits of the leader's signature in one long: 8 bytes per table per leader; at most {@code bucketCapacity}
 * per bucket). With a TTL (STREAMING) all of it expires that long after
 * it was written, which bounds the state to the items of one TTL window; an item whose leader has expired is
 * kept again.
 */
public class NearDuplicateFunction extends KeyedProcessFunction<Integer, Routed, Item> {

    private static final long serialVersionUID = 1L;

    /** Every decision made in a home partition, for {@link FollowFunction}. */
    public static final OutputTag<Settled> DECISIONS = new OutputTag<>("near-dup-decisions") {};

    private static final Comparator<Routed> BY_ID = Comparator.comparing((Routed r) -> r.item.id);

    private final NearDupParams params;
    private final int dimension;
    private final boolean batch;

    /**
     * The layout of a partition's state, kept with it. 1 (no value): buckets under {@code table << 32 | code}, an
     * entry a handle and the whole signature (32 bytes with the defaults). 2: buckets under {@code table << bits |
     * code} (dense keys, which heap state hashes without collisions), an entry one long (a handle and a 32-bit
     * signature fragment). A partition restored from an older savepoint is moved to the current layout the first
     * time it is touched.
     */
    static final int LAYOUT = 2;

    private transient NearDuplicateIndex index;
    private transient FlinkLeaderStore store;
    private transient ValueState<Integer> layout;
    private transient Set<Integer> upToDate;
    private transient List<Routed> tied;
    private transient long tiedTimestamp;
    private transient Counter nearDuplicates;
    private transient Counter leadersKept;
    private transient Counter replicasKept;
    private transient Counter namedReplicas;
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
        MapStateDescriptor<Long, Leader> leaders = leadersState();
        MapStateDescriptor<Long, long[]> buckets = bucketsState();
        ValueStateDescriptor<Long> handles = new ValueStateDescriptor<>("handles", Types.LONG);
        ValueStateDescriptor<float[]> center =
                new ValueStateDescriptor<>("center", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO);
        if (ttl != null) {
            leaders.enableTimeToLive(ttl);
            buckets.enableTimeToLive(ttl);
        }
        store = new FlinkLeaderStore(
                getRuntimeContext().getMapState(leaders),
                getRuntimeContext().getMapState(buckets),
                getRuntimeContext().getState(handles),
                getRuntimeContext().getState(center),
                ttl == null,
                batch,
                params.warmup());
        index = new NearDuplicateIndex(params, dimension, store);
        layout = getRuntimeContext().getState(layoutState());
        upToDate = new HashSet<>();
        tied = new ArrayList<>();
        tiedTimestamp = Long.MIN_VALUE;
        var group = getRuntimeContext().getMetricGroup().addGroup("nearDuplicates");
        nearDuplicates = group.counter("found");
        leadersKept = group.counter("kept");
        replicasKept = group.counter("replicasKept");
        namedReplicas = group.counter("namedReplicas");
        comparisons = group.counter("comparisons");
        evictions = group.counter("bucketEvictions");
        screened = group.counter("screenedBySignature");
    }

    /** The kept vectors of a partition, by handle (a new descriptor each time: {@link #open} may set a TTL on it). */
    public static MapStateDescriptor<Long, Leader> leadersState() {
        return new MapStateDescriptor<>("leaders", Types.LONG, TypeInformation.of(Leader.class));
    }

    /** The LSH buckets of a partition: handles and signatures, by bucket key. */
    public static MapStateDescriptor<Long, long[]> bucketsState() {
        return new MapStateDescriptor<>("buckets", Types.LONG, PrimitiveArrayTypeInfo.LONG_PRIMITIVE_ARRAY_TYPE_INFO);
    }

    /** The layout of a partition's state ({@link #LAYOUT}); no value in a savepoint of layout 1. */
    public static ValueStateDescriptor<Integer> layoutState() {
        return new ValueStateDescriptor<>("layout", Types.INT);
    }

    @Override
    public void processElement(Routed routed, Context ctx, Collector<Item> out) throws Exception {
        store.at(ctx.getCurrentKey());
        if (upToDate.add(ctx.getCurrentKey())) {
            upgrade();
        }
        if (routed.item == null) {
            if (routed.center != null) {
                index.useCenter(routed.center);
            }
            return;
        }
        if (!batch) {
            decide(routed, ctx, out);
            return;
        }
        // BATCH: items arrive sorted by KeepOrder; those with equal keys are decided in id order.
        long ts = ctx.timestamp() == null ? Long.MIN_VALUE : ctx.timestamp();
        if (ts != tiedTimestamp) {
            flushTied(ctx, out);
            tiedTimestamp = ts;
        }
        tied.add(routed);
        // The timer fires once this key's input is done (BATCH ends event time there).
        ctx.timerService().registerEventTimeTimer(Long.MAX_VALUE);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Item> out) throws Exception {
        store.at(ctx.getCurrentKey());
        flushTied(ctx, out);
    }

    private void flushTied(Context ctx, Collector<Item> out) throws Exception {
        if (tied.isEmpty()) {
            return;
        }
        tied.sort(BY_ID);
        for (Routed routed : tied) {
            decide(routed, ctx, out);
        }
        tied.clear();
    }

    private void decide(Routed routed, Context ctx, Collector<Item> out) throws Exception {
        Item item = routed.item;
        if (item.status != Status.INDEXED || item.vector == null) {
            if (!routed.replica) {
                out.collect(item); // nothing else is routed here; pass it on untouched
            }
            return;
        }
        if (routed.replica) {
            // Remembered here as a leader unless one already covers it; no decision, no output.
            Hyperplanes.Sketch sketch = routed.sketch(1 + params.probes());
            if (item.inBase) {
                index.keepLeader(item.id, item.vector, sketch);
                replicasKept.inc();
            } else if (index.offer(item.id, item.vector, true, sketch) == null) {
                replicasKept.inc();
            }
            reportWork();
            return;
        }
        Decision decision;
        Hyperplanes.Sketch sketch = routed.sketch(1 + params.probes());
        if (item.inBase) {
            index.keepLeader(item.id, item.vector, sketch); // indexed already: kept whatever it resembles
            decision = Decision.kept();
            leadersKept.inc();
        } else {
            NearDuplicateIndex.Match match = index.offer(item.id, item.vector, false, sketch);
            if (match == null) {
                decision = Decision.kept();
                leadersKept.inc();
            } else {
                item.duplicateOf(match.id(), match.similarity(), DuplicateRow.MATCH_NEAR);
                decision = Decision.duplicateOf(match.id(), match.similarity());
                nearDuplicates.inc();
                if (match.replica()) {
                    namedReplicas.inc();
                }
            }
            reportWork();
        }
        out.collect(item);
        ctx.output(DECISIONS, Settled.decision(item.id, decision));
    }

    /** Moves the current partition's state to the current layout, if it was written in an older one. */
    private void upgrade() throws Exception {
        if (layout.value() != null) {
            return;
        }
        if (store.handles() > 0) {
            // Layout 1: keys with the table in the upper half, entries of a handle and the whole signature.
            Hyperplanes planes = index.planes();
            int stride = 1 + planes.signatureWords();
            List<Map.Entry<Long, long[]>> old = new ArrayList<>();
            for (var e : store.buckets().entries()) {
                old.add(Map.entry(e.getKey(), e.getValue()));
            }
            for (var e : old) {
                int table = (int) (e.getKey() >>> 32);
                int code = (int) (e.getKey() & 0xffffffffL);
                long[] entries = e.getValue();
                long[] compact = new long[entries.length / stride];
                for (int i = 0; i < compact.length; i++) {
                    long[] signature = Arrays.copyOfRange(entries, i * stride + 1, (i + 1) * stride);
                    compact[i] = NearDuplicateIndex.entry(entries[i * stride], planes.fragment(signature, table));
                }
                store.buckets().remove(e.getKey());
                store.buckets().put(planes.key(table, code), compact);
            }
        }
        layout.update(LAYOUT);
    }

    private void reportWork() {
        comparisons.inc(index.comparisons() - reportedComparisons);
        reportedComparisons = index.comparisons();
        evictions.inc(index.evictions() - reportedEvictions);
        reportedEvictions = index.evictions();
        screened.inc(index.screened() - reportedScreened);
        reportedScreened = index.screened();
    }

    /**
     * {@link LeaderStore} over the operator's keyed state (of the key set with {@link #at}), with a cache on the heap
     * of what every item of a partition reads: its centre, and the leaders of its warm-up (the first {@code warmup}
     * kept, compared exhaustively while the partition is young, and by many items after). On RocksDB each read is a
     * lookup and a copy; the cache makes them one each per partition and process. It is not state: it fills again
     * from the state after a restore, writes go through to the state, and it is off under a TTL (state that
     * expires must not be read from a copy). At most {@code warmup} leaders per partition: about 2 MB per partition
     * at 1792 dimensions with the defaults.
     */
    private static final class FlinkLeaderStore implements LeaderStore {
        /** The most warm-up leaders cached per partition (the default warm-up is 1,024). */
        private static final int MAX_CACHED_LEADERS = 4096;

        private final MapState<Long, Leader> leaders;
        private final MapState<Long, long[]> buckets;
        private final ValueState<Long> handleCount;
        private final ValueState<float[]> centerState;
        private final boolean cached;
        private final boolean batch;
        /** Handles below this are cached. */
        private final int warmup;

        private final Map<Integer, Leader[]> warmLeaders = new HashMap<>();
        private final Map<Integer, float[]> centers = new HashMap<>();
        private Integer key;

        FlinkLeaderStore(
                MapState<Long, Leader> leaders,
                MapState<Long, long[]> buckets,
                ValueState<Long> handleCount,
                ValueState<float[]> centerState,
                boolean cached,
                boolean batch,
                int warmup) {
            this.leaders = leaders;
            this.buckets = buckets;
            this.handleCount = handleCount;
            this.centerState = centerState;
            this.cached = cached;
            this.batch = batch;
            this.warmup = Math.min(warmup, MAX_CACHED_LEADERS);
        }

        /** The buckets' state itself (converting a partition of an older layout). */
        MapState<Long, long[]> buckets() {
            return buckets;
        }

        /** The partition the next calls are about (the operator's current key). */
        void at(Integer partition) {
            if (batch && key != null && !key.equals(partition)) {
                // BATCH sees each key's input once, sorted: a partition done is never met again.
                warmLeaders.clear();
                centers.clear();
            }
            key = partition;
        }

        @Override
        public Leader leader(long handle) throws Exception {
            if (!cached || handle >= warmup) {
                return leaders.get(handle);
            }
            Leader[] warm = warmLeaders.computeIfAbsent(key, k -> new Leader[warmup]);
            Leader l = warm[(int) handle];
            if (l == null) {
                l = leaders.get(handle);
                warm[(int) handle] = l;
            }
            return l;
        }

        @Override
        public void putLeader(long handle, Leader leader) throws Exception {
            leaders.put(handle, leader);
            if (cached && handle < warmup) {
                warmLeaders.computeIfAbsent(key, k -> new Leader[warmup])[(int) handle] = leader;
            }
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
            if (!cached) {
                return centerState.value();
            }
            float[] c = centers.get(key);
            if (c == null) {
                c = centerState.value();
                if (c != null) {
                    centers.put(key, c);
                }
            }
            return c;
        }

        @Override
        public void setCenter(float[] center) throws Exception {
            centerState.update(center);
            if (cached) {
                centers.put(key, center);
            }
        }
    }
}
