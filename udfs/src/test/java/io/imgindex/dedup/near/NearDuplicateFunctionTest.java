package io.imgindex.dedup.near;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.typeinfo.PrimitiveArrayTypeInfo;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;

class NearDuplicateFunctionTest {

    static final int DIM = 8;

    static Item embedded(String id, double degrees, int width, int height) {
        Item i = Item.pending(id, "http://x/" + id, Map.of(), "list:" + id);
        i.width = width;
        i.height = height;
        i.bytes = 10_000;
        i.sha256 = "sha-" + id;
        return i.indexed(NearDuplicateIndexTest.inPlane(DIM, degrees), "m");
    }

    static Item exactCopyOf(String id, String of) {
        Item i = Item.pending(id, "http://x/" + id, Map.of(), "list:" + id);
        return i.duplicateOf(of, 1f, DuplicateRow.MATCH_EXACT);
    }

    static KeyedOneInputStreamOperatorTestHarness<Integer, Routed, Item> harness(boolean batch) throws Exception {
        var h = unopened(batch, 128, 1, 0);
        h.open();
        return h;
    }

    static KeyedOneInputStreamOperatorTestHarness<Integer, Routed, Item> unopened(
            boolean batch, int maxParallelism, int parallelism, int subtask) throws Exception {
        var f = new NearDuplicateFunction(NearDupParams.withThreshold(0.9f), DIM, batch);
        return new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(f),
                (Routed r) -> r.partition,
                Types.INT,
                maxParallelism,
                parallelism,
                subtask);
    }

    static Routed home(Item item) {
        return new Routed(0, false, item);
    }

    static Map<String, Item> byId(List<Item> items) {
        return items.stream().collect(Collectors.toMap(i -> i.id, Function.identity()));
    }

    /** Feeds items the way BATCH does: sorted by KeepOrder, then ends the key's input. */
    static Map<String, Item> runBatch(List<Item> items) throws Exception {
        var h = harness(true);
        List<Item> sorted = new ArrayList<>(items);
        sorted.sort(java.util.Comparator.comparingLong(KeepOrder::of));
        for (Item i : sorted) {
            h.processElement(home(i), KeepOrder.of(i));
        }
        h.processWatermark(Long.MAX_VALUE);
        Map<String, Item> out = byId(h.extractOutputValues());
        h.close();
        return out;
    }

    @Test
    void batchKeepsTheLargestCopyWhateverTheArrivalOrder() throws Exception {
        for (List<String> order : List.of(List.of("small", "big", "far"), List.of("far", "big", "small"))) {
            List<Item> items = new ArrayList<>();
            for (String id : order) {
                items.add(
                        switch (id) {
                            case "small" -> embedded("small", 5, 100, 100);
                            case "big" -> embedded("big", 0, 400, 400);
                            default -> embedded("far", 90, 100, 100);
                        });
            }
            Map<String, Item> out = runBatch(items);
            assertThat(out).hasSize(3);
            assertThat(out.get("big").status).isEqualTo(Status.INDEXED);
            assertThat(out.get("far").status).isEqualTo(Status.INDEXED);
            assertThat(out.get("small").status).isEqualTo(Status.DUPLICATE);
            assertThat(out.get("small").duplicateOf).isEqualTo("big");
            assertThat(out.get("small").match).isEqualTo(DuplicateRow.MATCH_NEAR);
            assertThat(out.get("small").vector).isNull();
        }
    }

    @Test
    void batchBreaksTiesById() throws Exception {
        // Same size, same bytes: "a" is kept whichever comes first.
        for (boolean aFirst : new boolean[] {true, false}) {
            List<Item> items = aFirst
                    ? List.of(embedded("a", 0, 10, 10), embedded("b", 3, 10, 10))
                    : List.of(embedded("b", 3, 10, 10), embedded("a", 0, 10, 10));
            Map<String, Item> out = runBatch(items);
            assertThat(out.get("a").status).isEqualTo(Status.INDEXED);
            assertThat(out.get("b").duplicateOf).isEqualTo("a");
        }
    }

    @Test
    void streamingDecidesOnArrivalAndSendsEveryDecisionOn() throws Exception {
        var h = harness(false);
        h.processElement(home(embedded("small", 5, 100, 100)), 0);
        h.processElement(home(embedded("big", 0, 400, 400)), 0);
        Map<String, Item> out = byId(h.extractOutputValues());
        assertThat(out.get("small").status).as("first come, kept").isEqualTo(Status.INDEXED);
        assertThat(out.get("big").duplicateOf).isEqualTo("small");
        Map<String, Decision> decisions = new java.util.HashMap<>();
        h.getSideOutput(NearDuplicateFunction.DECISIONS)
                .forEach(r -> decisions.put(r.getValue().id, r.getValue().decision));
        assertThat(decisions.get("small").outcome).isEqualTo(Decision.KEPT);
        assertThat(decisions.get("big").outcome).isEqualTo(Decision.DUPLICATE);
        assertThat(decisions.get("big").target).isEqualTo("small");
        h.close();
    }

    @Test
    void aReplicaIsRememberedButNotDecidedOrPassedOn() throws Exception {
        var h = harness(false);
        h.processElement(new Routed(0, true, embedded("neighbour", 0, 10, 10)), 0);
        assertThat(h.extractOutputValues())
                .as("a replica is decided in its own home")
                .isEmpty();
        assertThat(h.getSideOutput(NearDuplicateFunction.DECISIONS)).isNull();
        h.processElement(home(embedded("here", 4, 10, 10)), 0);
        Item here = h.extractOutputValues().get(0);
        assertThat(here.duplicateOf).as("matched against the replica").isEqualTo("neighbour");
        h.close();
    }

    @Test
    void partitionsMoveBetweenSubtasksWhenTheParallelismChanges() throws Exception {
        // Items on 6 partitions, decided by 2 subtasks, snapshotted, restored on 3: the same decisions as one
        // subtask all along.
        int maxParallelism = 128;
        List<Routed> before = new ArrayList<>();
        List<Routed> after = new ArrayList<>();
        for (int p = 0; p < 6; p++) {
            before.add(new Routed(p, false, embedded("a" + p, 0, 10, 10)));
            before.add(new Routed(p, false, embedded("b" + p, 60, 10, 10)));
            after.add(new Routed(p, false, embedded("c" + p, 4, 10, 10))); // a duplicate of a<p>
            after.add(new Routed(p, false, embedded("d" + p, 120, 10, 10))); // new
        }
        var one = harness(false);
        for (Routed r : before) {
            one.processElement(r, 0);
        }
        for (Routed r : after) {
            one.processElement(r, 0);
        }
        Map<String, Item> expected = byId(one.extractOutputValues());
        one.close();

        List<KeyedOneInputStreamOperatorTestHarness<Integer, Routed, Item>> two = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            var h = unopened(false, maxParallelism, 2, s);
            h.open();
            two.add(h);
        }
        Map<String, Item> got = new java.util.HashMap<>();
        for (Routed r : before) {
            two.get(subtask(r, maxParallelism, 2)).processElement(r, 0);
        }
        OperatorSubtaskState[] snapshots = new OperatorSubtaskState[2];
        for (int s = 0; s < 2; s++) {
            got.putAll(byId(two.get(s).extractOutputValues()));
            snapshots[s] = two.get(s).snapshot(1, 1);
            two.get(s).close();
        }
        OperatorSubtaskState merged =
                org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness.repackageState(snapshots);
        List<KeyedOneInputStreamOperatorTestHarness<Integer, Routed, Item>> three = new ArrayList<>();
        for (int s = 0; s < 3; s++) {
            var h = unopened(false, maxParallelism, 3, s);
            h.initializeState(
                    org.apache.flink.streaming.util.AbstractStreamOperatorTestHarness.repartitionOperatorState(
                            merged, maxParallelism, 2, 3, s));
            h.open();
            three.add(h);
        }
        for (Routed r : after) {
            three.get(subtask(r, maxParallelism, 3)).processElement(r, 0);
        }
        for (var h : three) {
            got.putAll(byId(h.extractOutputValues()));
            h.close();
        }
        assertThat(got).hasSize(expected.size());
        for (String id : expected.keySet()) {
            assertThat(got.get(id).status).as(id).isEqualTo(expected.get(id).status);
            assertThat(got.get(id).duplicateOf).as(id).isEqualTo(expected.get(id).duplicateOf);
        }
        assertThat(got.get("c5").duplicateOf)
                .as("a leader restored on another subtask")
                .isEqualTo("a5");
    }

    private static int subtask(Routed r, int maxParallelism, int parallelism) {
        return org.apache.flink.runtime.state.KeyGroupRangeAssignment.assignKeyToParallelOperator(
                r.partition, maxParallelism, parallelism);
    }

    @Test
    void decisionsSurviveASnapshotAndRestore() throws Exception {
        var h = harness(false);
        h.processElement(home(embedded("a", 0, 10, 10)), 0);
        h.processElement(home(embedded("b", 5, 10, 10)), 0);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = unopened(false, 128, 1, 0);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(home(embedded("c", 4, 10, 10)), 0);
        restored.processElement(home(embedded("later", 90, 10, 10)), 0);
        Map<String, Item> out = byId(restored.extractOutputValues());
        assertThat(out.get("c").duplicateOf)
                .as("the leader kept before the snapshot")
                .isEqualTo("a");
        assertThat(out.get("later").status).isEqualTo(Status.INDEXED);
        restored.close();
    }

    /**
     * A savepoint of the first layout (bucket keys with the table in the upper half) restored: the partition is
     * re-keyed the first time it is touched, and a copy of a leader filed there is still found through the buckets.
     */
    @Test
    void aPartitionOfTheFirstLayoutIsReKeyedOnRestore() throws Exception {
        NearDupParams params = NearDupParams.withThreshold(0.9f).warmup(1); // past the warm-up: buckets only
        float[] center = new float[DIM];
        Hyperplanes planes = new Hyperplanes(DIM, params);
        float[] original = NearDuplicateIndexTest.inPlane(DIM, 0);
        var writer = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new KeyedProcessFunction<Integer, Routed, Item>() {
                    private static final long serialVersionUID = 1L;

                    @Override
                    public void processElement(Routed r, Context ctx, Collector<Item> out) throws Exception {
                        var leaders = getRuntimeContext().getMapState(NearDuplicateFunction.leadersState());
                        var buckets = getRuntimeContext().getMapState(NearDuplicateFunction.bucketsState());
                        leaders.put(0L, Leader.of("a", original, false));
                        getRuntimeContext()
                                .getState(new ValueStateDescriptor<>("handles", Types.LONG))
                                .update(1L);
                        getRuntimeContext()
                                .getState(new ValueStateDescriptor<>(
                                        "center", PrimitiveArrayTypeInfo.FLOAT_PRIMITIVE_ARRAY_TYPE_INFO))
                                .update(center);
                        Hyperplanes.Sketch sketch = planes.sketch(original, center);
                        long[] entry = new long[1 + sketch.signature().length];
                        System.arraycopy(sketch.signature(), 0, entry, 1, sketch.signature().length);
                        long mask = (1L << params.bits()) - 1;
                        for (long key : sketch.homeKeys()) {
                            long table = key >>> params.bits();
                            if (table > 0) { // table 0's key is the same in both layouts: leave it out
                                buckets.put((table << 32) | (key & mask), entry);
                            }
                        }
                    }
                }),
                (Routed r) -> r.partition,
                Types.INT,
                128,
                1,
                0);
        writer.open();
        writer.processElement(home(embedded("a", 0, 10, 10)), 0);
        OperatorSubtaskState snapshot = writer.snapshot(1, 1);
        writer.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new NearDuplicateFunction(params, DIM, false)),
                (Routed r) -> r.partition,
                Types.INT,
                128,
                1,
                0);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(home(embedded("copy", 2, 10, 10)), 0);
        Map<String, Item> out = byId(restored.extractOutputValues());
        assertThat(out.get("copy").duplicateOf)
                .as("found through a bucket of the old layout, re-keyed")
                .isEqualTo("a");
        restored.close();
    }
}
