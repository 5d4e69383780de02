package io.imgindex.cli;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Replaces the JVM's handler of a signal ({@code sun.misc.Signal}, in the {@code jdk.unsupported} module, which the
 * JDK keeps for exactly this). Reached by reflection so that the compiler's warning about a proprietary API, which
 * no annotation silences, stays out of a build that fails on warnings.
 */
final class Signals {

    private static final Logger LOG = LoggerFactory.getLogger(Signals.class);

    private Signals() {}

    /**
     * A future completed by the first SIGTERM or SIGINT. The JVM's default handlers are replaced, so the process
     * does not start shutting down (which would tear the embedded cluster down under the savepoint); a second
     * signal while stopping exits at once.
     */
    static CompletableFuture<Void> stopOnFirst() {
        CompletableFuture<Void> stop = new CompletableFuture<>();
        for (String name : List.of("TERM", "INT")) {
            try {
                handle(name, () -> {
                    if (!stop.complete(null)) {
                        System.err.println("imgindex: second signal, exiting without waiting for the savepoint");
                        Runtime.getRuntime().halt(130);
                    }
                });
            } catch (IllegalArgumentException e) {
                // The signal is not available on this platform (or reserved by the JVM): one less way to stop.
                LOG.debug("Cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
        return stop;
    }

    /**
     * Runs {@code action} on each {@code SIG<name>} instead of the JVM's handler.
     *
     * @throws IllegalArgumentException if the signal is unknown here, or reserved by the JVM
     */
    static void handle(String name, Runnable action) {
        try {
            Class<?> signal = Class.forName("sun.misc.Signal");
            Class<?> handler = Class.forName("sun.misc.SignalHandler");
            Object onSignal = Proxy.newProxyInstance(
                    handler.getClassLoader(),
                    new Class<?>[] {handler},
                    (proxy, method, args) -> switch (method.getName()) {
                        case "handle" -> {
                            action.run();
                            yield null;
                        }
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> "imgindex handler of SIG" + name;
                    });
            signal.getMethod("handle", signal, handler)
                    .invoke(null, signal.getConstructor(String.class).newInstance(name), onSignal);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof IllegalArgumentException refused) {
                throw refused;
            }
            throw new IllegalStateException("could not handle SIG" + name, e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalArgumentException("this JVM has no sun.misc.Signal: " + e.getMessage(), e);
        }
    }
}
