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
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
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

    static KeyedOneInputStreamOperatorTestHarness<Integer, Item, Item> harness(boolean batch) throws Exception {
        var f = new NearDuplicateFunction(NearDupParams.withThreshold(0.9f), DIM, batch);
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f), i -> 0, Types.INT);
        h.open();
        return h;
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
            h.processElement(i, KeepOrder.of(i));
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
            items.add(exactCopyOf("copy-of-small", "small"));
            Map<String, Item> out = runBatch(items);
            assertThat(out).hasSize(4);
            assertThat(out.get("big").status).isEqualTo(Status.INDEXED);
            assertThat(out.get("far").status).isEqualTo(Status.INDEXED);
            assertThat(out.get("small").status).isEqualTo(Status.DUPLICATE);
            assertThat(out.get("small").duplicateOf).isEqualTo("big");
            assertThat(out.get("small").match).isEqualTo(DuplicateRow.MATCH_NEAR);
            assertThat(out.get("small").vector).isNull();
            assertThat(out.get("copy-of-small").duplicateOf)
                    .as("an exact copy of a near-duplicate names the indexed item")
                    .isEqualTo("big");
            assertThat(out.get("copy-of-small").similarity).isEqualTo(out.get("small").similarity);
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
    void exactCopiesOfAFailedItemFailWithItsReason() throws Exception {
        Item failed = Item.pending("bad", "http://x/bad", Map.of(), "l:1").fail("EMBED_FAILED", "boom");
        Map<String, Item> out = runBatch(List.of(failed, exactCopyOf("bad2", "bad")));
        assertThat(out.get("bad2").status).isEqualTo(Status.FAILED);
        assertThat(out.get("bad2").reason).isEqualTo("EMBED_FAILED");
        assertThat(out.get("bad2").message).contains("same bytes as bad").contains("boom");
    }

    @Test
    void streamingDecidesOnArrivalAndCopiesWaitForTheirItem() throws Exception {
        var h = harness(false);
        h.processElement(exactCopyOf("copy-of-small", "small"), 0); // arrives before its item
        assertThat(h.extractOutputValues()).isEmpty();
        h.processElement(embedded("small", 5, 100, 100), 0);
        h.processElement(embedded("big", 0, 400, 400), 0);
        Map<String, Item> out = byId(h.extractOutputValues());
        assertThat(out.get("small").status).as("first come, kept").isEqualTo(Status.INDEXED);
        assertThat(out.get("big").duplicateOf).isEqualTo("small");
        assertThat(out.get("copy-of-small").status).isEqualTo(Status.DUPLICATE);
        assertThat(out.get("copy-of-small").duplicateOf).isEqualTo("small");
        h.close();
    }

    @Test
    void decisionsSurviveASnapshotAndRestore() throws Exception {
        var h = harness(false);
        h.processElement(embedded("a", 0, 10, 10), 0);
        h.processElement(embedded("b", 5, 10, 10), 0);
        h.processElement(exactCopyOf("waiting", "later"), 0);
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new NearDuplicateFunction(NearDupParams.withThreshold(0.9f), DIM, false)),
                (Item i) -> 0,
                Types.INT);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(embedded("c", 4, 10, 10), 0);
        restored.processElement(exactCopyOf("copy-of-b", "b"), 0);
        restored.processElement(embedded("later", 90, 10, 10), 0);
        Map<String, Item> out = byId(restored.extractOutputValues());
        assertThat(out.get("c").duplicateOf)
                .as("the leader kept before the snapshot")
                .isEqualTo("a");
        assertThat(out.get("copy-of-b").duplicateOf)
                .as("b's decision was restored")
                .isEqualTo("a");
        assertThat(out.get("later").status).isEqualTo(Status.INDEXED);
        assertThat(out.get("waiting").duplicateOf)
                .as("a copy waiting at the snapshot is released by its item after the restore")
                .isEqualTo("later");
        restored.close();
    }
}
