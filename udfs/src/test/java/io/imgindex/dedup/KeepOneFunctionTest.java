package io.imgindex.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import io.imgindex.item.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class KeepOneFunctionTest {

    static Item decoded(String id, String url, String sha) {
        Item i = Item.pending(id, url, Map.of(), "list:" + id);
        i.sha256 = sha;
        return i;
    }

    static KeyedOneInputStreamOperatorTestHarness<String, Item, Item> harness(
            KeepOneFunction f, org.apache.flink.api.java.functions.KeySelector<Item, String> key) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(new KeyedProcessOperator<>(f), key, Types.STRING);
        h.open();
        return h;
    }

    static List<Item> main(KeyedOneInputStreamOperatorTestHarness<String, Item, Item> h) {
        return h.extractOutputValues();
    }

    static List<Item> terminal(KeyedOneInputStreamOperatorTestHarness<String, Item, Item> h) {
        ConcurrentLinkedQueue<StreamRecord<Item>> side = h.getSideOutput(Outcomes.TERMINAL);
        return side == null
                ? List.of()
                : side.stream().map(StreamRecord::getValue).toList();
    }

    @Test
    void batchKeepsTheSmallestIdWhateverTheArrivalOrder() throws Exception {
        for (List<String> order : List.of(List.of("c", "a", "b"), List.of("b", "c", "a"), List.of("a", "b", "c"))) {
            var h = harness(new ExactDuplicateFunction(true), i -> i.sha256);
            for (String id : order) {
                h.processElement(decoded(id, "http://x/" + id, "same"), 0);
            }
            h.processElement(decoded("z", "http://x/z", "other"), 0);
            assertThat(main(h))
                    .as("nothing decided before the key's input ends")
                    .isEmpty();

            h.processWatermark(Long.MAX_VALUE); // what BATCH mode does when a key's input is done

            assertThat(main(h)).extracting(i -> i.id).containsExactlyInAnyOrder("a", "z");
            assertThat(terminal(h)).extracting(i -> i.id).containsExactlyInAnyOrder("b", "c");
            assertThat(terminal(h)).allSatisfy(i -> {
                assertThat(i.status).isEqualTo(Status.DUPLICATE);
                assertThat(i.duplicateOf).isEqualTo("a");
                assertThat(i.similarity).isEqualTo(1.0f);
                assertThat(i.match).isEqualTo("exact");
            });
            assertThat(h.numKeyedStateEntries())
                    .as("state is cleared once decided")
                    .isZero();
            h.close();
        }
    }

    @Test
    void streamingKeepsTheFirstAndRemembersIt() throws Exception {
        var h = harness(new ExactDuplicateFunction(false), i -> i.sha256);
        h.processElement(decoded("b", "http://x/b", "same"), 0);
        h.processElement(decoded("a", "http://x/a", "same"), 0);

        assertThat(main(h)).extracting(i -> i.id).containsExactly("b");
        assertThat(terminal(h)).singleElement().satisfies(i -> assertThat(i.duplicateOf)
                .isEqualTo("b"));
        assertThat(h.numKeyedStateEntries()).isEqualTo(1);

        var snapshot = h.snapshot(1, 1);
        h.close();
        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ExactDuplicateFunction(false)), (Item i) -> i.sha256, Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(decoded("c", "http://x/c", "same"), 0);
        assertThat(main(restored)).isEmpty();
        assertThat(terminal(restored)).singleElement().satisfies(i -> assertThat(i.duplicateOf)
                .isEqualTo("b"));
        restored.close();
    }

    @Test
    void repeatedIdsKeepTheSmallestUrlAndFailTheRest() throws Exception {
        var h = harness(new UniqueIdFunction(true), i -> i.id);
        h.processElement(decoded("p", "http://x/2.jpg", null), 0);
        h.processElement(decoded("p", "http://x/1.jpg", null), 0);
        h.processElement(decoded("p", "http://x/1.jpg", null), 0);
        h.processWatermark(Long.MAX_VALUE);

        assertThat(main(h)).singleElement().satisfies(i -> assertThat(i.url).isEqualTo("http://x/1.jpg"));
        assertThat(terminal(h)).hasSize(2).allSatisfy(i -> assertThat(i.reason).isEqualTo("DUPLICATE_ID"));
        assertThat(terminal(h))
                .extracting(i -> i.message)
                .anySatisfy(m -> assertThat(m).contains("same URL"))
                .anySatisfy(m -> assertThat(m).contains("already used by http://x/1.jpg"));
        assertThat(h.numKeyedStateEntries()).isZero();
        h.close();
    }

    @Test
    void batchFindsExactCopiesAmongEmbeddedItems() throws Exception {
        // BATCH looks for exact copies after the embedding: the items carry a vector and are INDEXED by then.
        var h = harness(new ExactDuplicateFunction(true), i -> i.sha256);
        for (String id : List.of("copy", "coffee")) {
            h.processElement(decoded(id, "http://x/" + id, "same").indexed(new float[] {1, 0}, "m"), 0);
        }
        Item failed = decoded("broken", "http://x/broken", "same").fail("EMBEDDING_FAILED", "model m: boom");
        h.processElement(failed, 0);
        h.processWatermark(Long.MAX_VALUE);

        assertThat(main(h)).extracting(i -> i.id).containsExactly("coffee");
        assertThat(terminal(h)).extracting(i -> i.id).containsExactlyInAnyOrder("broken", "copy");
        assertThat(terminal(h))
                .filteredOn(i -> i.id.equals("copy"))
                .singleElement()
                .satisfies(i -> {
                    assertThat(i.status).isEqualTo(Status.DUPLICATE);
                    assertThat(i.duplicateOf).isEqualTo("coffee");
                    assertThat(i.match).isEqualTo("exact");
                });
        assertThat(h.numKeyedStateEntries()).isZero();
        h.close();
    }

    @Test
    void passesTerminalItemsThrough() throws Exception {
        var h = harness(new UniqueIdFunction(true), i -> i.id);
        Item failed = decoded("f", "http://x/f", null).fail("HTTP_404", "gone");
        h.processElement(failed, 0);

        assertThat(terminal(h)).singleElement().satisfies(i -> {
            assertThat(i.id).isEqualTo("f");
            assertThat(i.reason).isEqualTo("HTTP_404");
        });
        assertThat(main(h)).isEmpty();
        assertThat(h.numKeyedStateEntries()).isZero();
        h.close();
    }
}
