package io.imgindex.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on a loopback port chosen by the system, serving images and hostile answers for tests:
 * fixed bodies, error statuses, failures that heal, slow answers, redirects, lying {@code Content-Length}s.
 * Counts requests and the most requests it handled at once per path. Close it after use.
 */
public final class TestHttpServer implements AutoCloseable {

    /** What a path answers. */
    @FunctionalInterface
    public interface Route {
        void handle(HttpExchange exchange, int requestNumber) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-http");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Route> routes = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> requests = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> active = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> peak = new ConcurrentHashMap<>();

    public TestHttpServer() {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(executor);
        server.createContext("/", this::dispatch);
        server.start();
    }

    /** {@code http://127.0.0.1:<port>} */
    public String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The full URL of a path. */
    public String url(String path) {
        return base() + path;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public TestHttpServer route(String path, Route route) {
        routes.put(path, route);
        return this;
    }

    /** Answers 200 with the bytes. */
    public TestHttpServer bytes(String path, byte[] body, String contentType) {
        return route(path, (ex, n) -> send(ex, 200, body, contentType));
    }

    /** Answers with a status and a small HTML body. */
    public TestHttpServer status(String path, int status) {
        return route(path, (ex, n) -> send(ex, status, ("<html>" + status + "</html>").getBytes(), "text/html"));
    }

    /** Answers 500 the first {@code failures} times, then 200 with the bytes. */
    public TestHttpServer flaky(String path, int failures, byte[] body) {
        return route(path, (ex, n) -> {
            if (n <= failures) {
                send(ex, 500, "<html>try again</html>".getBytes(), "text/html");
            } else {
                send(ex, 200, body, "image/jpeg");
            }
        });
    }

    /** Waits before answering 200 with the bytes. */
    public TestHttpServer slow(String path, long millis, byte[] body) {
        return route(path, (ex, n) -> {
            Thread.sleep(millis);
            send(ex, 200, body, "image/jpeg");
        });
    }

    /** Redirects with the given status to a location (absolute or relative). */
    public TestHttpServer redirect(String path, int status, String location) {
        return route(path, (ex, n) -> {
            ex.getResponseHeaders().add("Location", location);
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
    }

    /** Declares a {@code Content-Length} of {@code declared} bytes but sends only {@code body}. */
    public TestHttpServer declaredSize(String path, long declared, byte[] body) {
        return route(path, (ex, n) -> {
            ex.getResponseHeaders().add("Content-Type", "image/jpeg");
            ex.sendResponseHeaders(200, declared);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            } catch (IOException e) {
                // The client hangs up once it sees the declared size: expected.
            }
        });
    }

    /** Sends {@code chunks} of 64 KiB without a {@code Content-Length} (chunked encoding). */
    public TestHttpServer endless(String path, int chunks) {
        return route(path, (ex, n) -> {
            ex.getResponseHeaders().add("Content-Type", "image/jpeg");
            ex.sendResponseHeaders(200, 0);
            byte[] chunk = new byte[64 * 1024];
            try (OutputStream out = ex.getResponseBody()) {
                for (int i = 0; i < chunks; i++) {
                    out.write(chunk);
                }
            } catch (IOException e) {
                // The client hangs up once over its limit: expected.
            }
        });
    }

    /** Requests received for a path. */
    public int requests(String path) {
        AtomicInteger n = requests.get(path);
        return n == null ? 0 : n.get();
    }

    /** The most requests for paths starting with {@code prefix} that were being handled at the same moment. */
    public int peakConcurrency(String prefix) {
        AtomicInteger n = peak.get(prefix);
        return n == null ? 0 : n.get();
    }

    /** Counts concurrency for every path starting with {@code prefix}. */
    public TestHttpServer trackConcurrency(String prefix) {
        active.putIfAbsent(prefix, new AtomicInteger());
        peak.putIfAbsent(prefix, new AtomicInteger());
        return this;
    }

    public static void send(HttpExchange ex, int status, byte[] body, String contentType) throws IOException {
        answering();
        ex.getResponseHeaders().add("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Counts the request this thread is handling out of its tracked concurrency, once. */
    private static final ThreadLocal<Runnable> UNANSWERED = new ThreadLocal<>();

    private static void answering() {
        Runnable r = UNANSWERED.get();
        if (r != null) {
            UNANSWERED.remove();
            r.run();
        }
    }

    private void dispatch(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        int n = requests.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        for (String prefix : active.keySet()) {
            if (path.startsWith(prefix)) {
                AtomicInteger counter = active.get(prefix);
                int now = counter.incrementAndGet();
                peak.get(prefix).accumulateAndGet(now, Math::max);
                // Not in flight from the moment the answer starts: a client that has read it may ask again before
                // this thread gets back to count it out, and that must not look like one connection too many.
                Runnable before = UNANSWERED.get();
                UNANSWERED.set(() -> {
                    counter.decrementAndGet();
                    if (before != null) {
                        before.run();
                    }
                });
            }
        }
        try {
            Route route = routes.get(path);
            if (route == null) {
                send(ex, 404, "<html>not found</html>".getBytes(), "text/html");
            } else {
                route.handle(ex, n);
            }
        } catch (IOException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(e);
        } finally {
            answering();
            ex.close();
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
