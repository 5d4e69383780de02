package io.imgindex.vectors;

/**
 * Dot products in plain Java: four independent accumulators let the CPU overlap the multiply-adds (the JIT does
 * not vectorise a float sum, whose result must not depend on the order of additions).
 */
final class ScalarDot implements DotKernel {

    static final ScalarDot INSTANCE = new ScalarDot();

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[aOff + i] * b[bOff + i];
            s1 += a[aOff + i + 1] * b[bOff + i + 1];
            s2 += a[aOff + i + 2] * b[bOff + i + 2];
            s3 += a[aOff + i + 3] * b[bOff + i + 3];
        }
        for (; i < n; i++) {
            s0 += a[aOff + i] * b[bOff + i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public float dot(float[] a, byte[] codes, int n) {
        float s0 = 0;
        float s1 = 0;
        float s2 = 0;
        float s3 = 0;
        int i = 0;
        for (; i + 3 < n; i += 4) {
            s0 += a[i] * codes[i];
            s1 += a[i + 1] * codes[i + 1];
            s2 += a[i + 2] * codes[i + 2];
            s3 += a[i + 3] * codes[i + 3];
        }
        for (; i < n; i++) {
            s0 += a[i] * codes[i];
        }
        return (s0 + s1) + (s2 + s3);
    }

    @Override
    public String describe() {
        return "scalar";
    }
}
