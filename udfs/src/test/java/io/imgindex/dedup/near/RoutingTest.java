package io.imgindex.dedup.near;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RoutingTest {

    static final int DIM = 32;

    /** Unit vectors around {@code clusters} random centres, with a common offset (like embeddings). */
    static List<float[]> clustered(int n, int clusters, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[][] centres = new float[clusters][DIM];
        for (float[] c : centres) {
            for (int j = 0; j < DIM; j++) {
                c[j] = (float) (r.nextDouble() * 2 - 1) + 1f;
            }
        }
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            float[] c = centres[r.nextInt(clusters)];
            float[] v = new float[DIM];
            for (int j = 0; j < DIM; j++) {
                v[j] = c[j] + (float) ((r.nextDouble() * 2 - 1) * 0.3);
            }
            out.add(NearDuplicateIndex.unit(v));
        }
        return out;
    }

    @Test
    void trainingIsDeterministicAndBalanced() {
        List<float[]> all = clustered(1024 + 8192, 16, 1); // one distribution: a sample, then held-out vectors
        List<float[]> sample = all.subList(0, 1024);
        Routing a = Routing.train(sample, 8, 0.01f);
        Routing b = Routing.train(new ArrayList<>(sample), 8, 0.01f);
        assertThat(a.partitions()).isEqualTo(8);
        int[] counts = new int[8];
        for (float[] v : all.subList(1024, all.size())) {
            assertThat(a.home(v)).isEqualTo(b.home(v));
            assertThat(Arrays.equals(a.partitions(v), b.partitions(v))).isTrue();
            counts[a.home(v)]++;
        }
        // k-means does not balance exactly: no partition holds a third of the items, and all get some.
        for (int c : counts) {
            assertThat(c).as("items per partition: %s", Arrays.toString(counts)).isBetween(8192 / 100, 8192 / 3);
        }
    }

    @Test
    void homeComesFirstAndTheMarginAddsNeighbours() {
        Routing r = Routing.of(new float[][] {{1, 0}, {0, 1}, {-1, 0}}, 0.2f);
        float[] between = NearDuplicateIndex.unit(new float[] {1f, 0.9f});
        assertThat(r.home(between)).isEqualTo(0);
        assertThat(r.partitions(between)).containsExactly(0, 1);
        float[] clear = new float[] {1f, 0f};
        assertThat(r.partitions(clear)).containsExactly(0);
        assertThat(Routing.of(new float[][] {{1, 0}, {0, 1}}, 0f).partitions(between))
                .containsExactly(0);
    }

    @Test
    void aSmallSampleTrainsFewerPartitions() {
        assertThat(Routing.train(clustered(40, 4, 3), 32, 0.01f).partitions()).isEqualTo(2);
        assertThat(Routing.train(clustered(20, 4, 3), 32, 0.01f).partitions()).isEqualTo(1);
        assertThat(Routing.single().partitions(new float[] {1, 0})).containsExactly(0);
    }
}
