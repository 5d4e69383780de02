package io.imgindex.server.search;

import io.imgindex.vectors.DotKernel;

/** The inner loop of exact search: dot products over rows of a contiguous array. */
public final class VectorMath {

    private VectorMath() {}

    /** The dot product of {@code q} with the row of {@code data} starting at {@code offset}, by the scalar loop. */
    public static float dot(float[] q, float[] data, int offset) {
        return DotKernel.scalar().dot(q, 0, data, offset, q.length);
    }

    /** The vector scaled to unit length; a zero vector stays zero. */
    public static float[] normalised(float[] v) {
        double sum = 0;
        for (float x : v) {
            sum += (double) x * x;
        }
        if (sum == 0) {
            return v.clone();
        }
        float inv = (float) (1 / Math.sqrt(sum));
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = v[i] * inv;
        }
        return out;
    }
}
