package io.imgindex.server.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.server.router.Backends.Backend;
import io.imgindex.server.router.Backends.Info;
import java.net.URI;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ShardPlanTest {

    static Backend backend(String name) {
        return new Backend(name + ":8080", URI.create("http://" + name + ":8080"));
    }

    static Info serving(long generation, int total, Integer... shards) {
        return new Info(generation, total, Set.of(shards), 64, "m");
    }

    @Test
    void replicasOfAWholeIndexTakeTurnsAndAnswerAlone() {
        Map<Backend, Info> infos = new LinkedHashMap<>();
        infos.put(backend("a"), serving(5, 4, 0, 1, 2, 3));
        infos.put(backend("b"), serving(5, 4, 0, 1, 2, 3));
        Set<Backend> used = new HashSet<>();
        for (int turn = 0; turn < 4; turn++) {
            ShardPlan plan = ShardPlan.of(infos, turn);
            assertThat(plan.generation()).isEqualTo(5);
            assertThat(plan.uncovered()).isEmpty();
            assertThat(plan.assignments()).hasSize(1);
            assertThat(plan.assignments().values().iterator().next()).containsExactly(0, 1, 2, 3);
            used.addAll(plan.assignments().keySet());
        }
        assertThat(used).containsExactlyInAnyOrder(backend("a"), backend("b"));
    }

    @Test
    void everyShardGoesToOneBackendOfOneGeneration() {
        Map<Backend, Info> infos = new LinkedHashMap<>();
        infos.put(backend("a"), serving(5, 4, 0, 1));
        infos.put(backend("b"), serving(5, 4, 2, 3));
        infos.put(backend("c"), serving(5, 4, 1, 2)); // overlaps both
        infos.put(backend("new"), serving(6, 4, 0, 1)); // a rollout under way: covers less than 5 does
        for (int turn = 0; turn < 3; turn++) {
            ShardPlan plan = ShardPlan.of(infos, turn);
            assertThat(plan.generation()).isEqualTo(5);
            assertThat(plan.assignments()).doesNotContainKey(backend("new"));
            Map<Integer, Integer> answers = new LinkedHashMap<>();
            plan.assignments().values().forEach(shards -> shards.forEach(s -> answers.merge(s, 1, Integer::sum)));
            assertThat(answers).containsOnlyKeys(0, 1, 2, 3).allSatisfy((shard, n) -> assertThat(n)
                    .isOne());
        }
    }

    @Test
    void aNewGenerationThatCoversAsMuchWinsAndWhatNobodyServesIsUncovered() {
        Map<Backend, Info> infos = new LinkedHashMap<>();
        infos.put(backend("old"), serving(5, 3, 0, 1));
        infos.put(backend("new"), serving(6, 3, 0, 1));
        ShardPlan plan = ShardPlan.of(infos, 0);
        assertThat(plan.generation()).isEqualTo(6);
        assertThat(plan.assignments()).containsOnlyKeys(backend("new"));
        assertThat(plan.uncovered()).containsExactly(2);
        assertThat(ShardPlan.of(Map.of(), 0).generation()).isEqualTo(-1);
    }
}
