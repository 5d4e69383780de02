package io.imgindex.vectors;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products with the JDK's Vector API: fused multiply-adds over the widest vectors the CPU has, two
 * accumulators to hide their latency. Only loaded when {@code jdk.incubator.vector} is present ({@link Kernels}).
 */
final class SimdDot implements DotKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** As many bytes as {@link #SPECIES} has floats: one load of codes widens to one vector of floats. */
    private static final VectorSpecies<Byte> CODES =
            ByteVector.SPECIES_PREFERRED.withShape(VectorShape.forBitSize(SPECIES.length() * Byte.SIZE));

    @Override
    public float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        int lanes = SPECIES.length();
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = n - 2 * lanes; i <= bound; i += 2 * lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, aOff + i + lanes)
                    .fma(FloatVector.fromArray(SPECIES, b, bOff + i + lanes), acc1);
        }
        for (int bound = n - lanes; i <= bound; i += lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, aOff + i).fma(FloatVector.fromArray(SPECIES, b, bOff + i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[aOff + i] * b[bOff + i];
        }
        return sum;
    }

    @Override
    public float dot(float[] a, byte[] codes, int n) {
        int lanes = SPECIES.length();
        FloatVector acc0 = FloatVector.zero(SPECIES);
        FloatVector acc1 = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = n - 2 * lanes; i <= bound; i += 2 * lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(widen(codes, i), acc0);
            acc1 = FloatVector.fromArray(SPECIES, a, i + lanes).fma(widen(codes, i + lanes), acc1);
        }
        for (int bound = n - lanes; i <= bound; i += lanes) {
            acc0 = FloatVector.fromArray(SPECIES, a, i).fma(widen(codes, i), acc0);
        }
        float sum = acc0.add(acc1).reduceLanes(VectorOperators.ADD);
        for (; i < n; i++) {
            sum += a[i] * codes[i];
        }
        return sum;
    }

    private static FloatVector widen(byte[] codes, int at) {
        return (FloatVector) ByteVector.fromArray(CODES, codes, at).convertShape(VectorOperators.B2F, SPECIES, 0);
    }

    @Override
    public String describe() {
        return "SIMD (Vector API, " + SPECIES.length() + " floats per vector, " + SPECIES.vectorBitSize() + " bits)";
    }
}
