package io.imgindex.server.search;

/** The inner loop of exact search: dot products over rows of a contiguous array. */
public final class VectorMath {

    private VectorMath() {}

    /**
     * The dot product of {@code q} with the row of {@code data} starting at {@code offset}. Four independent
     * accumulators let the CPU overlap the multiply-adds (a float sum cannot be vectorised by the JIT, whose
     * results must not depend on the order of additions).
     */
    public static float dot(float[] q, float[] data, int offset) {
        int n = q.length;
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += q[i] * data[offset + i];
            s1 += q[i + 1] * data[offset + i + 1];
            s2 += q[i + 2] * data[offset + i + 2];
            s3 += q[i + 3] * data[offset + i + 3];
        }
        for (; i < n; i++) {
            s0 += q[i] * data[offset + i];
        }
        return (s0 + s1) + (s2 + s3);
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
