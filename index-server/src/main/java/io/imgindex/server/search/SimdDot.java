package io.imgindex.server.search;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Dot products with the JDK's Vector API: fused multiply-adds over the widest vectors the CPU has, two
 * accumulators to hide their latency. Only loaded when {@code jdk.incubator.vector} is present ({@link Kernels}).
 */
final class SimdDot implements DotKernel {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

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
    public String describe() {
        return "SIMD (Vector API, " + SPECIES.length() + " floats per vector, " + SPECIES.vectorBitSize() + " bits)";
    }
}
