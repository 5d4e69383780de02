package io.imgindex.vectors;

import java.nio.ByteBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the dot-product kernel once per JVM. */
final class Kernels {

    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);

    static final DotKernel BEST = choose();

    private Kernels() {}

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /** A thread's buffer of at least {@code n} floats, for kernels that copy a mapped row first. */
    static float[] scratch(int n) {
        float[] s = SCRATCH.get();
        if (s.length < n) {
            s = new float[n];
            SCRATCH.set(s);
        }
        return s;
    }

    private static DotKernel choose() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            // Loaded by name: the classes link against the incubator module, which may be absent. The first also
            // reads mapped rows in place, with an API of the JDK 16 to 18 incubators (later ones read memory
            // segments instead); where it does not link, the second copies mapped rows first.
            for (String kernel : new String[] {"io.imgindex.vectors.SimdBufferDot", "io.imgindex.vectors.SimdDot"}) {
                try {
                    DotKernel simd = (DotKernel)
                            Class.forName(kernel).getDeclaredConstructor().newInstance();
                    // Links its methods.
                    simd.dot(new float[16], ByteBuffer.allocateDirect(64), 0, 16);
                    simd.dot(new float[16], new byte[16], 16);
                    LOG.info("Dot products: {}", simd.describe());
                    return simd;
                } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
                    LOG.debug("{} is not usable here: {}", kernel, e.toString());
                }
            }
            LOG.warn("The Vector API is present but could not be used; dot products run scalar");
        } else {
            LOG.info("Dot products run scalar: start the JVM with --add-modules jdk.incubator.vector for SIMD");
        }
        return ScalarDot.INSTANCE;
    }
}
