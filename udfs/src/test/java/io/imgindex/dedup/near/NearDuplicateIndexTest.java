package io.imgindex.dedup.near;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NearDuplicateIndexTest {

    /** A unit vector at {@code angleDegrees} from e0, in the e0-e1 plane (plus a shared offset). */
    static float[] inPlane(int dim, double angleDegrees) {
        float[] v = new float[dim];
        double a = Math.toRadians(angleDegrees);
        v[0] = (float) Math.cos(a);
        v[1] = (float) Math.sin(a);
        return v;
    }

    static double cos(double degrees) {
        return Math.cos(Math.toRadians(degrees));
    }

    @Test
    void chainsDoNotMerge() throws Exception {
        // A at 0°, B at 20°, C at 40°: cos(A,B) = cos(B,C) = 0.94 >= 0.9, cos(A,C) = 0.77 < 0.9.
        var index = new NearDuplicateIndex(NearDupParams.withThreshold(0.9f), 8, new InMemoryLeaderStore());
        assertThat(index.offer("A", inPlane(8, 0))).isNull();
        var b = index.offer("B", inPlane(8, 20));
        assertThat(b.id()).isEqualTo("A");
        // Kept vectors are stored as int8: in 8 dimensions a cosine moves by up to ~0.01 (Leader).
        assertThat((double) b.similarity()).isCloseTo(cos(20), org.assertj.core.data.Offset.offset(0.01));
        assertThat(index.offer("C", inPlane(8, 40)))
                .as("C is similar only to B, which is not kept: C is kept")
                .isNull();
        assertThat(index.offer("D", inPlane(8, 38)).id())
                .as("D is nearer to C than to A")
                .isEqualTo("C");
    }

    @Test
    void chainsInAnotherOrderKeepTheMiddle() throws Exception {
        // Offered B, A, C: B is kept and both ends are its duplicates.
        var index = new NearDuplicateIndex(NearDupParams.withThreshold(0.9f), 8, new InMemoryLeaderStore());
        assertThat(index.offer("B", inPlane(8, 20))).isNull();
        assertThat(index.offer("A", inPlane(8, 0)).id()).isEqualTo("B");
        assertThat(index.offer("C", inPlane(8, 40)).id()).isEqualTo("B");
    }

    @Test
    void thresholdIsInclusiveAndLengthDoesNotMatter() throws Exception {
        var index = new NearDuplicateIndex(NearDupParams.withThreshold(0.5f), 4, new InMemoryLeaderStore());
        index.offer("a", new float[] {2, 0, 0, 0});
        var m = index.offer("b", new float[] {5, 5 * (float) Math.sqrt(3), 0, 0}); // 60°: cos = 0.5
        assertThat(m).isNotNull();
        assertThat(index.offer("zero", new float[4]))
                .as("a zero vector matches nothing")
                .isNull();
        assertThat(index.offer("c", new float[] {0, 0, 1, 0})).isNull();
        assertThatThrownBy(() -> index.offer("d", new float[3])).hasMessageContaining("3 dimensions");
    }

    /** Clustered unit vectors with planted copies: the bucketed search finds what the exhaustive one finds. */
    @Test
    void bucketsFindWhatExhaustiveComparisonFinds() throws Exception {
        int dim = 128;
        List<float[]> vectors = Planted.vectors(6000, dim, 0.3, 7L);
        NearDupParams params = NearDupParams.withThreshold(0.9f).warmup(500);
        var lsh = new NearDuplicateIndex(params, dim, new InMemoryLeaderStore());
        var exact = new NearDuplicateIndex(params.warmup(Integer.MAX_VALUE), dim, new InMemoryLeaderStore());
        int agree = 0;
        int dupExact = 0;
        int dupLsh = 0;
        for (int i = 0; i < vectors.size(); i++) {
            var a = lsh.offer("v" + i, vectors.get(i));
            var b = exact.offer("v" + i, vectors.get(i));
            dupLsh += a == null ? 0 : 1;
            dupExact += b == null ? 0 : 1;
            if (a == null ? b == null : b != null && a.id().equals(b.id())) {
                agree++;
            }
        }
        assertThat(dupExact).isGreaterThan(1000);
        assertThat((double) dupLsh / dupExact).as("recall of the buckets").isGreaterThan(0.97);
        assertThat((double) agree / vectors.size()).isGreaterThan(0.97);
        assertThat(lsh.comparisons())
                .as("far fewer comparisons than exhaustive")
                .isLessThan(exact.comparisons() / 5);
    }

    /**
     * Full buckets: the signature screen compares at most {@code compared} candidates per item and still finds
     * what comparing every candidate finds.
     */
    @Test
    void signatureScreenBoundsTheWorkAndKeepsRecall() throws Exception {
        int dim = 128;
        int n = 8000;
        List<float[]> vectors = Planted.vectors(n, dim, 0.3, 13L);
        // Few, short codes: buckets hold thousands of candidates, so the screen has work to do.
        NearDupParams params =
                NearDupParams.withThreshold(0.9f).lsh(8, 6, 1).capacity(4096).warmup(200);
        var screened = new NearDuplicateIndex(params.compared(64), dim, new InMemoryLeaderStore());
        var all = new NearDuplicateIndex(params.compared(Integer.MAX_VALUE), dim, new InMemoryLeaderStore());
        int dupAll = 0;
        int dupScreened = 0;
        int agree = 0;
        for (int i = 0; i < n; i++) {
            var a = screened.offer("v" + i, vectors.get(i));
            var b = all.offer("v" + i, vectors.get(i));
            dupScreened += a == null ? 0 : 1;
            dupAll += b == null ? 0 : 1;
            if (a == null ? b == null : b != null && a.id().equals(b.id())) {
                agree++;
            }
        }
        long warmupWork = 200L * 200;
        assertThat(screened.screened()).as("candidates screened out").isPositive();
        assertThat(screened.comparisons() - warmupWork)
                .as("at most 64 vectors compared per item after the warm-up")
                .isLessThanOrEqualTo(64L * n);
        assertThat(all.comparisons()).as("without the screen").isGreaterThan(10 * screened.comparisons());
        assertThat(dupAll).isGreaterThan(1500);
        assertThat((double) dupScreened / dupAll).as("recall of the screen").isGreaterThan(0.98);
        assertThat((double) agree / n).isGreaterThan(0.98);
    }

    @Test
    void fullBucketsForgetTheOldest() throws Exception {
        // One table of one bit: every vector lands in one of two buckets of capacity 2.
        NearDupParams params =
                NearDupParams.withThreshold(0.99f).lsh(1, 1, 0).capacity(2).warmup(1);
        var store = new InMemoryLeaderStore();
        var index = new NearDuplicateIndex(params, 4, store);
        for (int i = 0; i < 6; i++) {
            float[] v = {1, 0, 0, 0};
            v[1 + i % 3] += 0.3f * (1 + i); // distinct enough not to match
            index.offer("x" + i, v);
        }
        assertThat(store.bucketLongs())
                .as("two buckets of two entries, each one long (a handle and a signature fragment)")
                .isLessThanOrEqualTo(2 * 2);
        assertThat(index.evictions()).isPositive();
    }

    @Test
    void deterministicForASeed() throws Exception {
        int dim = 64;
        List<float[]> vectors = Planted.vectors(2000, dim, 0.3, 11L);
        NearDupParams params = NearDupParams.withThreshold(0.9f).warmup(100);
        List<String> first = run(params, dim, vectors);
        assertThat(run(params, dim, vectors)).isEqualTo(first);
    }

    private static List<String> run(NearDupParams params, int dim, List<float[]> vectors) throws Exception {
        var index = new NearDuplicateIndex(params, dim, new InMemoryLeaderStore());
        List<String> out = new ArrayList<>();
        for (int i = 0; i < vectors.size(); i++) {
            var m = index.offer("v" + i, vectors.get(i));
            out.add(m == null ? "-" : m.id() + "@" + m.similarity());
        }
        return out;
    }

    /** Test data: clustered vectors, a share of them near copies of earlier ones. */
    static final class Planted {
        static List<float[]> vectors(int n, int dim, double copyShare, long seed) {
            SplittableRandom r = new SplittableRandom(seed);
            int clusters = 20;
            float[][] centers = new float[clusters][dim];
            for (float[] c : centers) {
                for (int j = 0; j < dim; j++) {
                    c[j] = (float) (r.nextDouble() * 2 - 1) + 1f; // a shared positive offset, like image embeddings
                }
            }
            List<float[]> out = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                float[] v = new float[dim];
                if (i > 0 && r.nextDouble() < copyShare) {
                    float[] of = out.get(r.nextInt(out.size()));
                    double noise = 0.05 + r.nextDouble() * 0.25;
                    for (int j = 0; j < dim; j++) {
                        v[j] = of[j] + (float) ((r.nextDouble() * 2 - 1) * noise * Math.sqrt(3.0 / dim));
                    }
                } else {
                    float[] c = centers[r.nextInt(clusters)];
                    for (int j = 0; j < dim; j++) {
                        v[j] = c[j] + (float) ((r.nextDouble() * 2 - 1) * 1.2);
                    }
                }
                out.add(NearDuplicateIndex.unit(v));
            }
            return out;
        }
    }
}
