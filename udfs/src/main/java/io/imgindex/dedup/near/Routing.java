package io.imgindex.dedup.near;

import java.io.Serializable;
import java.util.List;

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
 * <p>Immutable once built; deterministic for a sample (the same sample in the same order gives the same
 * centroids), so a rerun of a BATCH job routes every item the same way at any parallelism.
 */
public final class Routing implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Sampled vectors per partition the training wants; fewer vectors give fewer partitions. */
    public static final int SAMPLE_PER_PARTITION = 64;

    /** Fewest sampled vectors per partition: below this, fewer partitions are trained. */
    public static final int MIN_SAMPLE_PER_PARTITION = 16;

    private static final int ITERATIONS = 12;

    private final float[][] centroids;
    private final float margin;

    private Routing(float[][] centroids, float margin) {
        this.centroids = centroids;
        this.margin = margin;
    }

    /** Everything in one partition (key 0): the decisions of an unpartitioned operator. */
    public static Routing single() {
        return new Routing(new float[0][], 0f);
    }

    /** Routing with these centroids (each is scaled to unit length). */
    public static Routing of(float[][] centroids, float margin) {
        float[][] unit = new float[centroids.length][];
        for (int c = 0; c < centroids.length; c++) {
            unit[c] = NearDuplicateIndex.unit(centroids[c]);
            if (unit[c] == null) {
                throw new IllegalArgumentException("centroid " + c + " is zero or not finite");
            }
        }
        return new Routing(unit, margin);
    }

    /**
     * Trains up to {@code partitions} centroids on a sample by spherical k-means: evenly spaced vectors of the
     * sample to start, then {@value #ITERATIONS} rounds of assignment and re-centring. A sample of fewer than {@code MIN_SAMPLE_PER_PARTITION} vectors per partition trains fewer
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
        // The sample is in a fixed pseudo-random order (by id hash): evenly spaced picks are a random start, and
        // unlike farthest-point picks they are not drawn to outliers (which would make tiny partitions).
        for (int c = 0; c < k; c++) {
            centroids[c] = sample.get((int) ((long) c * n / k)).clone();
        }
        int dim = centroids[0].length;
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
        }
        return of(centroids, margin);
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
