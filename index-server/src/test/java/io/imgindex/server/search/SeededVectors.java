package io.imgindex.server.search;

import java.util.Random;

/**
 * Clustered random unit vectors from a seed, the shape of real embeddings (not uniform noise, on which every
 * neighbour is about as far as every other): {@code clusters} centres, each point a centre plus noise.
 */
public final class SeededVectors {

    private SeededVectors() {}

    public static float[] generate(int n, int dimension, int clusters, long seed) {
        Random random = new Random(seed);
        float[][] centres = new float[clusters][dimension];
        for (float[] c : centres) {
            for (int j = 0; j < dimension; j++) {
                c[j] = (float) random.nextGaussian();
            }
        }
        float[] out = new float[n * dimension];
        float[] v = new float[dimension];
        for (int i = 0; i < n; i++) {
            float[] c = centres[random.nextInt(clusters)];
            for (int j = 0; j < dimension; j++) {
                v[j] = c[j] + 0.6f * (float) random.nextGaussian();
            }
            System.arraycopy(VectorMath.normalised(v), 0, out, i * dimension, dimension);
        }
        return out;
    }
}
