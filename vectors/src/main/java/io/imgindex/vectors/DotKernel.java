package io.imgindex.vectors;

import java.nio.ByteBuffer;

/**
 * The inner loops over vectors: dot products of float rows (every exact score of the index server) and of a float
 * vector with int8 codes (every near-duplicate comparison of the job). Two implementations: the JDK's Vector API
 * ({@code jdk.incubator.vector}, SIMD on whatever the CPU has: AVX2, AVX-512, NEON) when the JVM runs with
 * {@code --add-modules jdk.incubator.vector}, else a scalar loop with four accumulators. Thread-safe.
 */
public interface DotKernel {

    /** The dot product of {@code a[aOff..aOff+n)} and {@code b[bOff..bOff+n)}. */
    float dot(float[] a, int aOff, float[] b, int bOff, int n);

    /**
     * The dot product of {@code a[0..n)} and {@code n} floats stored in {@code rows} from byte {@code byteOffset}, in
     * the buffer's byte order (a mapped segment's vectors, big-endian): read in place where the JDK allows it,
     * else through a copy.
     */
    default float dot(float[] a, ByteBuffer rows, int byteOffset, int n) {
        float[] scratch = Kernels.scratch(n);
        rows.asFloatBuffer().get(byteOffset / 4, scratch, 0, n);
        return dot(a, 0, scratch, 0, n);
    }

    /**
     * The dot product of {@code a[0..n)} and {@code codes[0..n)} read as signed integers (a quantised vector before
     * its scale is applied).
     */
    float dot(float[] a, byte[] codes, int n);

    /** What this kernel is, for logs and benchmarks: {@code simd (AVX-512, 16 floats)} or {@code scalar}. */
    String describe();

    /** The kernel of this JVM: SIMD if the Vector API module is present, scalar otherwise. */
    static DotKernel best() {
        return Kernels.BEST;
    }

    /** The scalar kernel, as a baseline. */
    static DotKernel scalar() {
        return ScalarDot.INSTANCE;
    }
}
