package io.imgindex.vectors;

import java.nio.ByteBuffer;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * {@link SimdDot}, plus dot products read straight from a mapped segment's bytes: each SIMD load takes its floats
 * from the mapping and swaps their bytes in the register (a mapped row is big-endian), so a row is never copied.
 * {@code FloatVector.fromByteBuffer} is in the Vector API of JDK 16 to 18; on later JDKs this class does not link and
 * {@link Kernels} takes {@link SimdDot}, which copies a mapped row first.
 */
final class SimdBufferDot implements DotKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private final SimdDot arrays = new SimdDot();

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return arrays.dot(a, aOff, b, bOff, n);
    }

    @Override
    public float dot(float[] a, byte[] codes, int n) {
        return arrays.dot(a, codes, n);
    }

    @Override
    public float dot(float[] a, ByteBuffer rows, int byteOffset, int n) {
        int lanes = SPECIES.length();
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = n - 2 * lanes; i <= bound; i += 2 * lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, i)
                    .fma(FloatVector.fromByteBuffer(SPECIES, rows, byteOffset + 4 * i, rows.order()), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, i + lanes)
                    .fma(FloatVector.fromByteBuffer(SPECIES, rows, byteOffset + 4 * (i + lanes), rows.order()), acc1);
        }
        for (int bound = n - lanes; i <= bound; i += lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, i)
                    .fma(FloatVector.fromByteBuffer(SPECIES, rows, byteOffset + 4 * i, rows.order()), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[i] * rows.getFloat(byteOffset + 4 * i);
        }
        return sum;
    }

    @Override
    public String describe() {
        return arrays.describe() + ", mapped rows read in place";
    }
}
