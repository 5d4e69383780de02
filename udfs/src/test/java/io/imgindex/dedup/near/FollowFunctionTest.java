package io.imgindex.dedup.near;

import static io.imgindex.dedup.near.NearDuplicateFunctionTest.byId;
import static io.imgindex.dedup.near.NearDuplicateFunctionTest.exactCopyOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.streaming.api.operators.KeyedProcessOperator;
import org.apache.flink.streaming.util.KeyedOneInputStreamOperatorTestHarness;
import org.junit.jupiter.api.Test;

class FollowFunctionTest {

    static KeyedOneInputStreamOperatorTestHarness<String, Settled, Item> harness(boolean batch) throws Exception {
        var h = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FollowFunction(NearDupParams.withThreshold(0.9f), batch)),
                (Settled s) -> s.id,
                Types.STRING);
        h.open();
        return h;
    }

    @Test
    void batchCopiesFollowTheirOriginalWhicheverComesFirst() throws Exception {
        for (boolean copiesFirst : new boolean[] {true, false}) {
            var h = harness(true);
            List<Settled> in = List.of(
                    Settled.copy(exactCopyOf("copy-of-small", "small")),
                    Settled.copy(exactCopyOf("copy-of-big", "big")),
                    Settled.copy(exactCopyOf("copy-of-bad", "bad")));
            List<Settled> decisions = List.of(
                    Settled.decision("small", Decision.duplicateOf("big", 0.95f)),
                    Settled.decision("big", Decision.kept()),
                    Settled.decision("bad", Decision.failed("EMBED_FAILED", "boom")));
            for (Settled s : copiesFirst ? in : decisions) {
                h.processElement(s, 0);
            }
            for (Settled s : copiesFirst ? decisions : in) {
                h.processElement(s, 0);
            }
            assertThat(h.extractOutputValues())
                    .as("nothing before the input ends")
                    .isEmpty();
            h.processWatermark(Long.MAX_VALUE);
            Map<String, Item> out = byId(h.extractOutputValues());
            assertThat(out).hasSize(3);
            assertThat(out.get("copy-of-small").duplicateOf)
                    .as("an exact copy of a near-duplicate names the indexed item")
                    .isEqualTo("big");
            assertThat(out.get("copy-of-small").match).isEqualTo(DuplicateRow.MATCH_NEAR);
            assertThat(out.get("copy-of-small").similarity).isEqualTo(0.95f);
            assertThat(out.get("copy-of-big").duplicateOf).isEqualTo("big");
            assertThat(out.get("copy-of-big").match).isEqualTo(DuplicateRow.MATCH_EXACT);
            assertThat(out.get("copy-of-bad").status).isEqualTo(Status.FAILED);
            assertThat(out.get("copy-of-bad").reason).isEqualTo("EMBED_FAILED");
            assertThat(out.get("copy-of-bad").message)
                    .contains("same bytes as bad")
                    .contains("boom");
            h.close();
        }
    }

    @Test
    void streamingCopiesWaitForTheirOriginalAcrossASnapshot() throws Exception {
        var h = harness(false);
        h.processElement(Settled.copy(exactCopyOf("early", "later")), 0);
        h.processElement(Settled.decision("a", Decision.kept()), 0);
        assertThat(h.extractOutputValues()).isEmpty();
        OperatorSubtaskState snapshot = h.snapshot(1, 1);
        h.close();

        var restored = new KeyedOneInputStreamOperatorTestHarness<>(
                new KeyedProcessOperator<>(new FollowFunction(NearDupParams.withThreshold(0.9f), false)),
                (Settled s) -> s.id,
                Types.STRING);
        restored.initializeState(snapshot);
        restored.open();
        restored.processElement(Settled.copy(exactCopyOf("copy-of-a", "a")), 0);
        assertThat(byId(restored.extractOutputValues()).get("copy-of-a").duplicateOf)
                .as("a's decision was restored")
                .isEqualTo("a");
        restored.processElement(Settled.decision("later", Decision.duplicateOf("a", 0.97f)), 0);
        assertThat(byId(restored.extractOutputValues()).get("early").duplicateOf)
                .as("a copy waiting at the snapshot is released by its item's decision after the restore")
                .isEqualTo("a");
        restored.close();
    }
}
