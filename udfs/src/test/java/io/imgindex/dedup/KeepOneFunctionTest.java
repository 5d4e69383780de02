package io.imgindex.dedup;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import io.imgindex.item.Status;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
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

    /** The keys of a base generation, as a stream's steps load them: only generation {@code generation} exists. */
    record BaseOf(long generation, long exists, Map<String, String> keys) implements BaseKeys.Source {

        @Override
        public BaseKeys load(long wanted, Predicate<String> mine) {
            assertThat(wanted).as("the generation loaded").isEqualTo(exists);
            BaseKeys.Builder b = new BaseKeys.Builder();
            keys.forEach((k, v) -> {
                if (mine.test(k)) {
                    b.add(k, v);
                }
            });
            return b.build();
        }
    }

    @Test
    void aStreamOnABaseFindsTheBasesBytesAndIds() throws Exception {
        var exact = harness(new ExactDuplicateFunction(new BaseOf(7, 7, Map.of("sha-b", "base-item"))), i -> i.sha256);
        exact.processElement(decoded("x", "http://x/x", "sha-b"), 0);
        exact.processElement(decoded("y", "http://x/y", "sha-new"), 0);
        assertThat(main(exact)).extracting(i -> i.id).containsExactly("y");
        assertThat(terminal(exact)).singleElement().satisfies(i -> {
            assertThat(i.status).isEqualTo(Status.DUPLICATE);
            assertThat(i.duplicateOf).isEqualTo("base-item");
            assertThat(i.match).isEqualTo("exact");
            assertThat(i.duplicateOfBase)
                    .as("final: the base's item is indexed already")
                    .isTrue();
        });
        exact.close();

        var ids = harness(new UniqueIdFunction(new BaseOf(7, 7, Map.of("taken", "http://x/old.jpg"))), i -> i.id);
        ids.processElement(decoded("taken", "http://x/new.jpg", "s1"), 0);
        ids.processElement(decoded("free", "http://x/free.jpg", "s2"), 0);
        assertThat(main(ids)).extracting(i -> i.id).containsExactly("free");
        assertThat(terminal(ids)).singleElement().satisfies(i -> {
            assertThat(i.status).isEqualTo(Status.FAILED);
            assertThat(i.reason).isEqualTo("ALREADY_INDEXED");
            assertThat(i.message).contains("http://x/old.jpg");
        });
        ids.close();
    }

    @Test
    void aRestoredStreamKeepsCheckingAgainstTheBaseItStartedOn() throws Exception {
        var first = harness(new ExactDuplicateFunction(new BaseOf(7, 7, Map.of("sha-b", "base-item"))), i -> i.sha256);
        var snapshot = first.snapshot(1, 1);
        first.close();

        // Restored, the command line names no base (the job's plan leaves it to the state): generation 7 is used.
        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new ExactDuplicateFunction(new BaseOf(0, 7, Map.of("sha-b", "base-item")))),
                (Item i) -> i.sha256,
                Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(decoded("x", "http://x/x", "sha-b"), 0);
        assertThat(terminal(restored)).singleElement().satisfies(i -> assertThat(i.duplicateOf)
                .isEqualTo("base-item"));
        restored.close();

        // A fresh stream with no base loads nothing.
        var none = harness(new ExactDuplicateFunction(new BaseOf(0, -1, Map.of("sha-b", "base-item"))), i -> i.sha256);
        none.processElement(decoded("x", "http://x/x", "sha-b"), 0);
        assertThat(main(none)).extracting(i -> i.id).containsExactly("x");
        none.close();
    }

    @Test
    void baseKeysFindEveryKeyAddedAndNoOther() {
        BaseKeys.Builder b = new BaseKeys.Builder();
        for (int i = 0; i < 1000; i++) {
            b.add("key-" + i, "value-" + i);
        }
        b.add("key-5", "a second value");
        BaseKeys keys = b.build();
        assertThat(keys.size()).isEqualTo(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(keys.get("key-" + i)).isEqualTo("value-" + i);
        }
        assertThat(keys.get("key-1000")).isNull();
        assertThat(BaseKeys.empty().get("key-1")).isNull();
    }
}
