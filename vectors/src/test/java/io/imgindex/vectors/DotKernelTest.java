package io.imgindex.vectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The SIMD kernels against the scalar one, on arrays and on big- and little-endian buffers such as mapped rows, at
 * dimensions that are and are not multiples of a vector's lanes. They sum in other orders, so they agree within
 * rounding: for unit vectors a float32 dot product of d terms reordered moves by at most about d x 6e-8.
 */
class DotKernelTest {

    @Test
    void theKernelOfThisJvmAgreesWithTheScalarLoop() {
        DotKernel best = DotKernel.best();
        assertThat(best.describe())
                .as("the tests run with --add-modules jdk.incubator.vector")
                .startsWith("SIMD");
        Random r = new Random(7);
        for (int dim : new int[] {1, 7, 16, 33, 128, 512, 1792}) {
            float[] a = unit(r, dim);
            float[] b = unit(r, dim);
            float expected = DotKernel.scalar().dot(a, 0, b, 0, dim);
            double tolerance = dim * 6e-8 + 1e-7;
            assertThat(best.dot(a, 0, b, 0, dim)).as("array, %d", dim).isCloseTo(expected, within((float) tolerance));
            for (ByteOrder order : new ByteOrder[] {ByteOrder.BIG_ENDIAN, ByteOrder.LITTLE_ENDIAN}) {
                // A row at an offset inside a larger buffer, as in a mapped segment.
                ByteBuffer rows = ByteBuffer.allocateDirect(8 + 4 * dim).order(order);
                for (int i = 0; i < dim; i++) {
                    rows.putFloat(8 + 4 * i, b[i]);
                }
                assertThat(best.dot(a, rows, 8, dim))
                        .as("%s buffer, %d", order, dim)
                        .isCloseTo(expected, within((float) tolerance));
                assertThat(DotKernel.scalar().dot(a, rows, 8, dim))
                        .as("scalar, %s buffer, %d", order, dim)
                        .isCloseTo(expected, within((float) tolerance));
            }
        }
    }

    @Test
    void int8CodesAgreeWithTheScalarLoop() {
        DotKernel best = DotKernel.best();
        Random r = new Random(11);
        for (int dim : new int[] {1, 7, 8, 15, 16, 17, 33, 512, 1792}) {
            float[] a = unit(r, dim);
            byte[] codes = new byte[dim];
            double exact = 0;
            for (int i = 0; i < dim; i++) {
                codes[i] = (byte) (r.nextInt(255) - 127);
                exact += (double) a[i] * codes[i];
            }
            // |a| = 1 and |codes| <= 127 sqrt(d): float sums of d terms reordered differ by about d x 6e-8 of that.
            double tolerance = 127 * Math.sqrt(dim) * (dim * 6e-8 + 1e-7);
            assertThat((double) best.dot(a, codes, dim)).as("SIMD, %d", dim).isCloseTo(exact, within(tolerance));
            assertThat((double) DotKernel.scalar().dot(a, codes, dim))
                    .as("scalar, %d", dim)
                    .isCloseTo(exact, within(tolerance));
        }
    }

    private static float[] unit(Random r, int dim) {
        float[] v = new float[dim];
        double norm = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
            norm += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(norm);
        }
        return v;
    }
}
