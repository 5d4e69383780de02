package io.imgindex.dedup.near;

import java.io.Serializable;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Which partitions of the near-duplicate state an item is decided in and a kept item is remembered in: the
 * partitions are coarse clusters of the embeddings (unit centroids, trained by spherical k-means on a sample of
 * the index's own vectors), fixed for the whole run.
 *
 * <p>An item is decided in its <em>home</em>, the partition of the centroid it is most similar to. A kept item is
 * also remembered in every other partition whose centroid is within {@link #margin} of its home's (cosine), so a
 * later near-duplicate of it that lands in a neighbouring partition still finds it there: a decision never needs
 * another partition. The margin trades state (each kept item is stored in {@code 1 + replicas} partitions) for
 * recall against one partition; the README gives both, measured.
 *
 * <p>Not changed once built; deterministic for a sample (the same sample in the same order gives the same
 * centroids), so a rerun of a BATCH job routes every item the same way at any parallelism.
 */
public final class Routing implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Sampled vectors per partition the training wants; fewer vectors give fewer partitions. */
    public static final int SAMPLE_PER_PARTITION = 64;

    /** Fewest sampled vectors per partition: below this, fewer partitions are trained. */
    public static final int MIN_SAMPLE_PER_PARTITION = 16;

    private static final int ITERATIONS = 12;

    // A Flink POJO (public fields, no-argument constructor): it crosses the job as a record and lives in broadcast
    // state. Treated as immutable once built.

    /** Unit centroids; none for one partition. */
    public float[][] centroids;

    public float margin;

    /** The sample's mean, or null. */
    public float[] center;

    /**
     * Each partition's share of the training sample (nearest centroid after the last round), which {@link
     * PartitionKeys#of} places the partitions by; null where not known (one partition, centroids given, or a routing
     * restored from before shares were kept).
     */
    public float[] weights;

    public Routing() {}

    private Routing(float[][] centroids, float margin, float[] center) {
        this.centroids = centroids;
        this.margin = margin;
        this.center = center;
    }

    /** Everything in one partition (key 0): the decisions of an unpartitioned operator. */
    public static Routing single() {
        return new Routing(new float[0][], 0f, null);
    }

    /** Routing with these centroids (each is scaled to unit length) and no common centre. */
    public static Routing of(float[][] centroids, float margin) {
        return of(centroids, margin, null);
    }

    /**
     * Routing with these centroids (each is scaled to unit length).
     *
     * @param center the mean of the vectors, which every partition's hyperplanes pass through, or null
     */
    public static Routing of(float[][] centroids, float margin, float[] center) {
        float[][] unit = new float[centroids.length][];
        for (int c = 0; c < centroids.length; c++) {
            unit[c] = NearDuplicateIndex.unit(centroids[c]);
            if (unit[c] == null) {
                throw new IllegalArgumentException("centroid " + c + " is zero or not finite");
            }
        }
        return new Routing(unit, margin, center == null ? null : center.clone());
    }

    /**
     * Trains up to {@code partitions} centroids on a sample by spherical k-means: k-means++ seeding (with a fixed
     * seed), then {@value #ITERATIONS} rounds of assignment and re-centring. A sample of fewer than {@code MIN_SAMPLE_PER_PARTITION} vectors per partition trains fewer
     * partitions (one, for under 32 vectors).
     *
     * @param sample unit vectors, in a fixed order (the result depends on it)
     */
    public static Routing train(List<float[]> sample, int partitions, float margin) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be positive, was " + partitions);
        }
        int k = Math.min(partitions, sample.size() / MIN_SAMPLE_PER_PARTITION);
        if (k <= 1) {
            return single();
        }
        int n = sample.size();
        float[][] centroids = new float[k][];
        // k-means++ seeding with a fixed seed: each next centroid drawn with probability proportional to its
        // squared distance from the nearest one so far. Spread out, yet not drawn to single outliers.
        SplittableRandom random = new SplittableRandom(0x5EED_0F_C1L);
        centroids[0] = sample.get(0).clone();
        double[] nearest = new double[n];
        Arrays.fill(nearest, Double.MAX_VALUE);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < n; i++) {
                double d = Math.max(0, 2 - 2 * NearDuplicateIndex.dot(sample.get(i), centroids[c - 1]));
                nearest[i] = Math.min(nearest[i], d);
                total += nearest[i];
            }
            double pick = random.nextDouble() * total;
            int chosen = n - 1;
            for (int i = 0; i < n; i++) {
                pick -= nearest[i];
                if (pick <= 0) {
                    chosen = i;
                    break;
                }
            }
            centroids[c] = sample.get(chosen).clone();
        }
        int dim = centroids[0].length;
        double[] total = new double[dim];
        for (float[] v : sample) {
            for (int j = 0; j < dim; j++) {
                total[j] += v[j];
            }
        }
        float[] sampleMean = new float[dim];
        for (int j = 0; j < dim; j++) {
            sampleMean[j] = (float) (total[j] / n);
        }
        int[] assigned = new int[n];
        for (int round = 0; round < ITERATIONS; round++) {
            for (int i = 0; i < n; i++) {
                assigned[i] = closest(centroids, sample.get(i));
            }
            double[][] sums = new double[k][dim];
            int[] counts = new int[k];
            for (int i = 0; i < n; i++) {
                float[] v = sample.get(i);
                double[] s = sums[assigned[i]];
                for (int j = 0; j < dim; j++) {
                    s[j] += v[j];
                }
                counts[assigned[i]]++;
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] == 0) {
                    continue; // an empty cluster keeps its centroid
                }
                float[] mean = new float[dim];
                for (int j = 0; j < dim; j++) {
                    mean[j] = (float) sums[c][j];
                }
                float[] unit = NearDuplicateIndex.unit(mean);
                if (unit != null) {
                    centroids[c] = unit;
                }
            }
            if (round < ITERATIONS - 2) {
                rebalance(sample, centroids, assigned, counts);
            }
        }
        Routing routing = of(centroids, margin, sampleMean);
        int[] counts = new int[k];
        for (float[] v : sample) {
            counts[closest(routing.centroids, v)]++;
        }
        routing.weights = new float[k];
        for (int c = 0; c < k; c++) {
            routing.weights[c] = (float) counts[c] / n;
        }
        return routing;
    }

    /**
     * The mean of the training sample, or null (one partition): every partition's LSH hyperplanes pass through it
     * from the first item on. A partition's own mean would sit among its vectors, where the angles between them,
     * which the hyperplanes measure, are dominated by noise; the common centre keeps them what they are for the
     * whole index. The array itself, not a copy: read it, never change it.
     */
    public float[] center() {
        return center;
    }

    /**
     * Lloyd's iterations can starve a centroid (it ends between clusters, with few or no vectors) while another
     * holds several clusters, which makes partitions of very different sizes. A centroid with under a quarter of
     * its share moves to the vector of the largest partition least like that partition's centroid, which splits it
     * in the next round.
     */
    private static void rebalance(List<float[]> sample, float[][] centroids, int[] assigned, int[] counts) {
        int k = centroids.length;
        int n = sample.size();
        for (int c = 0; c < k; c++) {
            if (counts[c] * 4L * k >= n) {
                continue;
            }
            int largest = 0;
            for (int o = 1; o < k; o++) {
                if (counts[o] > counts[largest]) {
                    largest = o;
                }
            }
            int farthest = -1;
            float lowest = Float.POSITIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (assigned[i] == largest) {
                    float sim = NearDuplicateIndex.dot(sample.get(i), centroids[largest]);
                    if (sim < lowest) {
                        lowest = sim;
                        farthest = i;
                    }
                }
            }
            if (farthest < 0) {
                return;
            }
            centroids[c] = sample.get(farthest).clone();
            assigned[farthest] = c;
            counts[largest]--;
            counts[c]++;
            counts[largest] -= counts[largest] / 2; // it is being split: do not pick it again this round
        }
    }

    /** Partitions (keys 0 .. partitions - 1). */
    public int partitions() {
        return Math.max(1, centroids.length);
    }

    /** Cosine below the home centroid's within which a kept item is also remembered in another partition. */
    public float margin() {
        return margin;
    }

    /** The partition an item is decided in. */
    public int home(float[] unit) {
        return centroids.length == 0 ? 0 : closest(centroids, unit);
    }

    /**
     * The partitions a kept item is remembered in: its home first, then every partition whose centroid is within
     * the margin of the home's, in partition order.
     */
    public int[] partitions(float[] unit) {
        if (centroids.length == 0) {
            return new int[] {0};
        }
        float[] scores = new float[centroids.length];
        int home = 0;
        for (int c = 0; c < centroids.length; c++) {
            scores[c] = NearDuplicateIndex.dot(unit, centroids[c]);
            if (scores[c] > scores[home]) {
                home = c;
            }
        }
        int count = 1;
        for (int c = 0; c < centroids.length; c++) {
            if (c != home && scores[c] >= scores[home] - margin) {
                count++;
            }
        }
        int[] out = new int[count];
        out[0] = home;
        int at = 1;
        for (int c = 0; c < centroids.length; c++) {
            if (c != home && scores[c] >= scores[home] - margin) {
                out[at++] = c;
            }
        }
        return out;
    }

    private static int closest(float[][] centroids, float[] v) {
        int best = 0;
        float bestScore = Float.NEGATIVE_INFINITY;
        for (int c = 0; c < centroids.length; c++) {
            float s = NearDuplicateIndex.dot(v, centroids[c]);
            if (s > bestScore) {
                bestScore = s;
                best = c;
            }
        }
        return best;
    }

    @Override
    public String toString() {
        return centroids.length == 0
                ? "Routing{one partition}"
                : "Routing{" + centroids.length + " partitions, margin " + margin + "}";
    }
}
