package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

/** The index-wide bound on metadata columns, on Flink's operator harness. */
class MetadataAdmissionTest {

    static OneInputStreamOperatorTestHarness<Item, Item> harness(Set<String> base) throws Exception {
        return new OneInputStreamOperatorTestHarness<>(new ProcessOperator<>(new MetadataAdmission(base)));
    }

    static Item withColumn(String id, String column) {
        return Item.pending(id, "http://x/" + id, Map.of(column, "v"), "l:" + id);
    }

    @Test
    void anIndexHasAtMostItsBoundOfColumnsWhateverItsRecordsBring() throws Exception {
        List<Item> out = new ArrayList<>();
        Item fresh = withColumn("p", "another");
        Item known = withColumn("k", "c0");
        try (var h = harness(Set.of())) {
            h.open();
            // Every record brings a column of its own: a list made to blow up the manifest and the server's filters.
            int n = MetadataAdmission.MAX_COLUMNS + 44;
            for (int i = 0; i < n; i++) {
                Item failed = withColumn("f" + i, "c" + i).fail("NOT_FOUND", "gone");
                h.processElement(failed, 0);
            }
            h.processElement(fresh, 0);
            h.processElement(known, 0);
            out.addAll(h.extractOutputValues());
        }
        assertThat(out).hasSize(MetadataAdmission.MAX_COLUMNS + 44 + 2);
        // Failures stay failures; past the bound they lose their metadata.
        assertThat(out.stream().filter(i -> i.status == Status.FAILED && i.reason.equals("NOT_FOUND")))
                .hasSize(MetadataAdmission.MAX_COLUMNS + 44);
        assertThat(out.stream().flatMap(i -> i.metadata.keySet().stream()).distinct())
                .hasSize(MetadataAdmission.MAX_COLUMNS);
        // A pending record that would add a column fails instead; one whose columns are known passes.
        assertThat(fresh.status).isEqualTo(Status.FAILED);
        assertThat(fresh.reason).isEqualTo("BAD_RECORD");
        assertThat(fresh.message).contains("at most 256", "adds 1 more (another)");
        assertThat(fresh.metadata).isEmpty();
        assertThat(known.status).isEqualTo(Status.PENDING);
        assertThat(known.metadata).containsEntry("c0", "v");
    }

    @Test
    void aBaseGenerationsColumnsCountAndAStreamKeepsItsColumnsAcrossARestore() throws Exception {
        Set<String> base = new java.util.HashSet<>();
        for (int i = 0; i < MetadataAdmission.MAX_COLUMNS - 2; i++) {
            base.add("b" + i);
        }
        OperatorSubtaskState snapshot;
        try (var h = harness(base)) {
            h.open();
            Item one = withColumn("one", "new-1");
            h.processElement(one, 0);
            assertThat(one.status).isEqualTo(Status.PENDING);
            snapshot = h.snapshot(1, 1);
        }
        try (var h = harness(base)) {
            h.initializeState(snapshot);
            h.open();
            Item again = withColumn("again", "new-1");
            Item two = withColumn("two", "new-2");
            Item three = withColumn("three", "new-3");
            h.processElement(again, 0);
            h.processElement(two, 0);
            h.processElement(three, 0);
            assertThat(again.status).as("admitted before the restore").isEqualTo(Status.PENDING);
            assertThat(two.status).as("the last place").isEqualTo(Status.PENDING);
            assertThat(three.status).isEqualTo(Status.FAILED);
            assertThat(three.message).contains("the index has 256 metadata columns already");
        }
    }
}
