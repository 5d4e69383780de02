package io.imgindex.dedup.near;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.flink.runtime.state.KeyGroupRangeAssignment;
import org.junit.jupiter.api.Test;

/** Where the partitions' keys put them: each subtask's share of the work, at several parallelisms. */
class PartitionKeysTest {

    /** Each subtask's share of the weights at a parallelism, with the partitions' keys. */
    static double[] shares(PartitionKeys keys, float[] weights, int parallelism) {
        double[] out = new double[parallelism];
        for (int p = 0; p < weights.length; p++) {
            out[
                            KeyGroupRangeAssignment.assignKeyToParallelOperator(
                                    keys.key(p), PartitionKeys.MAX_PARALLELISM, parallelism)] +=
                    weights[p];
        }
        return out;
    }

    /** Distinct centroids in a plane (only their count matters here). */
    static float[][] centroids(int n) {
        float[][] c = new float[n][];
        for (int i = 0; i < n; i++) {
            c[i] = new float[] {(float) Math.cos(i), (float) Math.sin(i)};
        }
        return c;
    }

    @Test
    void partitionsOfUnequalSizeShareOutByTheirWeights() {
        // 32 partitions: one holds 19% of the items (as k-means left one on the synthetic benchmark), one 0.5%.
        float[] w = new float[32];
        Arrays.fill(w, (1f - 0.19f - 0.005f) / 30);
        w[7] = 0.19f;
        w[20] = 0.005f;
        Routing routing = Routing.of(centroids(32), 0f);
        routing.weights = w;
        PartitionKeys balanced = PartitionKeys.of(routing);
        PartitionKeys even = new PartitionKeys(32);
        for (int parallelism : new int[] {2, 3, 4, 8}) {
            double fair = 1.0 / parallelism;
            double busiest =
                    Arrays.stream(shares(balanced, w, parallelism)).max().orElseThrow();
            // No further from a fair share than half the largest partition (plus one ordinary one: a partition
            // sits where the middle of its weight falls).
            assertThat(busiest).as("busiest of %d", parallelism).isCloseTo(fair, within(0.19 / 2 + w[0]));
            assertThat(busiest)
                    .as("no busier than with even keys, at %d", parallelism)
                    .isLessThanOrEqualTo(
                            Arrays.stream(shares(even, w, parallelism)).max().orElseThrow() + 1e-9);
        }
        assertThat(Arrays.stream(shares(balanced, w, 2)).max().orElseThrow())
                .as("two subtasks")
                .isLessThan(0.56);
        // One key per partition.
        assertThat(IntStream.range(0, 32).map(balanced::key).distinct().count()).isEqualTo(32);
    }

    @Test
    void aRoutingWithoutWeightsKeepsTheEvenKeysOfEarlierSavepoints() {
        Routing restored = Routing.of(centroids(8), 0f); // weights null, as in a routing from before them
        PartitionKeys keys = PartitionKeys.of(restored);
        PartitionKeys even = new PartitionKeys(8);
        for (int p = 0; p < 8; p++) {
            assertThat(keys.key(p)).isEqualTo(even.key(p));
        }
    }

    @Test
    void aRecordKeyedByTheRouterKeepsItsKey() {
        Routing trained = Routing.train(RoutingTest.clustered(2048, 16, 3), 8, 0.01f);
        assertThat(trained.weights).hasSize(trained.partitions());
        double sum = 0;
        for (float x : trained.weights) {
            sum += x;
        }
        assertThat(sum).isCloseTo(1.0, within(1e-5));
        PartitionKeys keys = PartitionKeys.of(trained);
        Routed routed = new Routed(3, false, null).keyed(keys);
        assertThat(new PartitionKeys(8).getKey(routed))
                .as("the selector built before the routing was trained takes the router's key")
                .isEqualTo(keys.key(3));
        assertThat(List.of(keys.getKey(new Routed(3, false, null)))).containsExactly(keys.key(3));
    }
}
