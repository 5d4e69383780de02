package io.imgindex.server.search;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Chooses the dot-product kernel once per JVM. */
final class Kernels {

    private static final Logger LOG = LoggerFactory.getLogger(Kernels.class);

    static final DotKernel BEST = choose();

    private Kernels() {}

    private static DotKernel choose() {
        if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
            try {
                // Loaded by name: the class links against the incubator module, which may be absent.
                DotKernel simd = (DotKernel) Class.forName("io.imgindex.server.search.SimdDot")
                        .getDeclaredConstructor()
                        .newInstance();
                LOG.info("Exact scores: {}", simd.describe());
                return simd;
            } catch (ReflectiveOperationException | LinkageError e) {
                LOG.warn("The Vector API is present but could not be used ({}); exact scores run scalar", e.toString());
            }
        } else {
            LOG.info("Exact scores run scalar: start the JVM with --add-modules jdk.incubator.vector for SIMD");
        }
        return ScalarDot.INSTANCE;
    }
}
