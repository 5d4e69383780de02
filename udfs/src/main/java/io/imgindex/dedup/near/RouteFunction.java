package io.imgindex.dedup.near;

import io.imgindex.item.Item;
import java.util.ArrayList;
import java.util.List;
import org.apache.flink.api.common.state.BroadcastState;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.MapStateDescriptor;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.co.BroadcastProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Sends each embedded item to its home partition and, for the kept-item replicas, to the neighbouring partitions
 * its {@link Routing} names. The routing comes on the broadcast input, trained in the job: in BATCH Flink reads the
 * broadcast input before the other, so nothing waits; in STREAMING the items that come before it wait for it in
 * this function's checkpointed state ({@link StreamingRoutingTrainer} bounds how long). The routing is kept in
 * broadcast state, so a restored job, at any parallelism, routes as before.
 */
public class RouteFunction extends BroadcastProcessFunction<Item, Routing, Routed> implements CheckpointedFunction {

    private final NearDupParams params;
    private final int dimension;
    private transient Hyperplanes planes;

    private static final long serialVersionUID = 1L;

    public static final MapStateDescriptor<String, Routing> STATE =
            new MapStateDescriptor<>("near-dup-routing", Types.STRING, TypeInformation.of(Routing.class));

    private static final String KEY = "routing";

    private transient Routing routing;

    /** The operator's keys of {@link #keysOf}'s partitions. */
    private transient PartitionKeys keys;

    private transient Routing keysOf;
    private transient List<Item> early;
    /** Whether this subtask has sent every partition the routing's centre. */
    private transient boolean centresSent;

    private transient ListState<Item> earlyState;

    /** With the operator's LSH parameters: the router computes each item's sketch once, for every partition. */
    public RouteFunction(NearDupParams params, int dimension) {
        this.params = params;
        this.dimension = dimension;
    }

    @Override
    public void processElement(Item item, ReadOnlyContext ctx, Collector<Routed> out) throws Exception {
        Routing r = current(ctx.getBroadcastState(STATE).get(KEY));
        if (r == null) {
            if (early == null) {
                early = new ArrayList<>();
            }
            early.add(item);
            return;
        }
        route(r, item, out);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        earlyState.update(early == null ? List.of() : early);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        earlyState = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("waiting-for-routing", TypeInformation.of(Item.class)));
        for (Item item : earlyState.get()) {
            if (early == null) {
                early = new ArrayList<>();
            }
            early.add(item);
        }
    }

    @Override
    public void processBroadcastElement(Routing value, Context ctx, Collector<Routed> out) throws Exception {
        BroadcastState<String, Routing> state = ctx.getBroadcastState(STATE);
        state.put(KEY, value);
        routing = value;
        if (early != null) {
            for (Item item : early) {
                route(current(value), item, out);
            }
            early = null;
        }
    }

    private Routing current(Routing fromState) {
        if (routing == null) {
            routing = fromState;
        }
        return routing;
    }

    private void route(Routing r, Item item, Collector<Routed> out) {
        if (keys == null || keysOf != r) {
            keys = PartitionKeys.of(r);
            keysOf = r;
        }
        if (r.center != null && !centresSent) {
            // Before this subtask's first item, on every channel it uses, so a partition has it before any item.
            centresSent = true;
            for (int p = 0; p < r.partitions(); p++) {
                out.collect(Routed.center(p, r.center).keyed(keys));
            }
        }
        if (r.center != null && planes == null) {
            planes = new Hyperplanes(dimension, params);
        }
        routeItem(r, keys, planes, item, out);
    }

    /**
     * An item's records: its home first, then the replicas (a failed or vector-less item goes home only), each with
     * the item's sketch against the routing's centre when there are hyperplanes and a centre.
     *
     * @param keys the operator's keys of the routing's partitions ({@link PartitionKeys#of})
     * @param planes the operator's hyperplanes, or null for no sketch
     */
    public static void routeItem(Routing r, PartitionKeys keys, Hyperplanes planes, Item item, Collector<Routed> out) {
        float[] unit = item.vector == null ? null : NearDuplicateIndex.unit(item.vector);
        if (unit == null) {
            out.collect(new Routed(0, false, item).keyed(keys));
            return;
        }
        int[] partitions = r.partitions(unit);
        Hyperplanes.Sketch sketch = planes != null && r.center != null ? planes.sketch(unit, r.center) : null;
        out.collect(withSketch(new Routed(partitions[0], false, item).keyed(keys), sketch));
        if (partitions.length > 1) {
            Item replica = new Item(); // what a neighbour needs: the id and the vector
            replica.id = item.id;
            replica.status = item.status;
            replica.inBase = item.inBase;
            replica.vector = item.vector;
            for (int i = 1; i < partitions.length; i++) {
                out.collect(withSketch(new Routed(partitions[i], true, replica).keyed(keys), sketch));
            }
        }
    }

    private static Routed withSketch(Routed r, Hyperplanes.Sketch sketch) {
        if (sketch != null) {
            r.probeKeys = sketch.probeKeys();
            r.signature = sketch.signature();
        }
        return r;
    }
}
