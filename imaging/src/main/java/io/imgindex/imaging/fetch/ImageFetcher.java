package io.imgindex.imaging.fetch;

import io.imgindex.imaging.Reason;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.SystemDefaultDnsResolver;
import org.apache.hc.client5.http.async.methods.SimpleRequestBuilder;
import org.apache.hc.client5.http.async.methods.SimpleRequestProducer;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.async.CloseableHttpAsyncClient;
import org.apache.hc.client5.http.impl.async.HttpAsyncClients;
import org.apache.hc.client5.http.impl.nio.PoolingAsyncClientConnectionManagerBuilder;
import org.apache.hc.client5.http.protocol.HttpClientContext;
import org.apache.hc.core5.concurrent.FutureCallback;
import org.apache.hc.core5.http.MessageConstraintException;
import org.apache.hc.core5.http.config.Http1Config;
import org.apache.hc.core5.io.CloseMode;
import org.apache.hc.core5.reactor.IOReactorConfig;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

/**
 * Fetches image bytes from {@code http:}, {@code https:}, {@code s3a:} (and {@code s3:}) and {@code file:}
 * URLs, asynchronously and within the bounds of {@link FetchOptions}.
 *
 * <p>HTTP runs on a non-blocking client with a connection pool capped per host; redirects are followed here,
 * not by the client, so that each hop's scheme is checked, loops are caught, and the {@link AddressPolicy}
 * applies to every hop's resolved addresses. Only timeouts, 5xx and 429 answers are retried, with exponential
 * backoff and jitter; a 429 or 503 pauses its host ({@link HostBackoff}) for the time its {@code Retry-After} asks
 * (else a backoff that doubles while the host keeps refusing), and every request to that host waits it out, within
 * each URL's total timeout. {@code file:} URLs are read only under the allowed roots (symbolic links resolved);
 * {@code s3a:} objects through Flink's file systems. Never throws for a bad URL: every problem is a
 * {@link FetchResult} with a reason code.
 *
 * <p>Thread-safe; one instance per task is enough. {@link #close()} releases its threads and connections.
 */
public final class ImageFetcher implements AutoCloseable {

    private final FetchOptions options;
    private final CloseableHttpAsyncClient client;
    private final ScheduledExecutorService timers;
    private final ExecutorService blocking;
    private final List<Path> fileRoots;
    private final ObjectStore objects;
    private final Set<CompletableFuture<FetchResult>> inFlight = ConcurrentHashMap.newKeySet();
    private final HostBackoff politeness;
    private volatile boolean closed;

    /** A fetcher that cannot read object store URLs (they fail as {@code FETCH_FAILED}). */
    public ImageFetcher(FetchOptions options) {
        this(options, ObjectStore.none());
    }

    /** A fetcher that reads {@code s3a:} and {@code s3:} URLs through {@code objects}. */
    public ImageFetcher(FetchOptions options, ObjectStore objects) {
        this(options, objects, SystemDefaultDnsResolver.INSTANCE);
    }

    /** A fetcher whose host names are resolved by {@code names} (tests resolve without asking a DNS server). */
    ImageFetcher(FetchOptions options, ObjectStore objects, DnsResolver names) {
        this.options = options;
        this.politeness = new HostBackoff(options.backoffInitial(), options.backoffMax());
        this.objects = objects;
        this.client = HttpAsyncClients.custom()
                .setConnectionManager(PoolingAsyncClientConnectionManagerBuilder.create()
                        .setDnsResolver(new PolicyDnsResolver(options.addressPolicy(), names))
                        .setMaxConnPerRoute(options.perHostConcurrency())
                        .setMaxConnTotal(options.maxConnections())
                        .setDefaultConnectionConfig(ConnectionConfig.custom()
                                .setConnectTimeout(timeout(options.connectTimeout()))
                                .setSocketTimeout(timeout(options.readTimeout()))
                                .build())
                        .build())
                .setIOReactorConfig(IOReactorConfig.custom()
                        .setIoThreadCount(1)
                        .setSoTimeout(timeout(options.readTimeout()))
                        .build())
                .setDefaultRequestConfig(RequestConfig.custom()
                        .setRedirectsEnabled(false)
                        .setResponseTimeout(timeout(options.readTimeout()))
                        // Waiting for a pooled connection is bounded by the total timeout.
                        .setConnectionRequestTimeout(timeout(options.totalTimeout()))
                        .setContentCompressionEnabled(false)
                        .setAuthenticationEnabled(false)
                        .build())
                // Bounded response heads: a line of at most MAX_HEADER_LINE bytes, at most MAX_HEADERS of them, so
                // a head holds at most their product (httpcore5's defaults are unlimited).
                .setHttp1Config(Http1Config.custom()
                        .setMaxLineLength(MAX_HEADER_LINE)
                        .setMaxHeaderCount(MAX_HEADERS)
                        .setMaxEmptyLineCount(4)
                        .build())
                .setUserAgent(options.userAgent())
                .disableAutomaticRetries()
                .disableCookieManagement()
                .disableRedirectHandling()
                .build();
        this.client.start();
        ScheduledThreadPoolExecutor scheduler =
                new ScheduledThreadPoolExecutor(1, daemonThreads("imgindex-fetch-timer"));
        scheduler.setRemoveOnCancelPolicy(true);
        this.timers = scheduler;
        this.blocking = Executors.newFixedThreadPool(options.blockingThreads(), daemonThreads("imgindex-fetch-io"));
        this.fileRoots = new ArrayList<>();
        for (String root : options.allowedFileRoots()) {
            Path p = Paths.get(root).toAbsolutePath().normalize();
            fileRoots.add(p);
            try {
                fileRoots.add(p.toRealPath());
            } catch (IOException e) {
                // A root that does not exist yet allows nothing beyond its literal path; keep that one only.
            }
        }
    }

    /** Fetches one URL. The future always completes normally. */
    public CompletableFuture<FetchResult> fetch(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return done(Reason.BAD_URL, "URL does not parse: " + e.getMessage());
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
            case "http":
            case "https":
                String problem = httpProblem(uri);
                if (problem != null) {
                    return done(Reason.BAD_URL, problem);
                }
                return tracked(new HttpExchange(uri).start());
            case "file":
                return tracked(supply(() -> readFile(uri)));
            case "s3a":
            case "s3":
                return tracked(supply(() -> readObject(uri)));
            default:
                return done(
                        Reason.BAD_URL,
                        scheme.isEmpty()
                                ? "URL '" + url + "' has no scheme (use http, https, s3a or file)"
                                : "scheme '" + scheme + "' is not supported (use http, https, s3a or file)");
        }
    }

    /**
     * Stops the client's I/O thread first, then releases what it held. An immediate close would walk the
     * selector's keys from this thread while the I/O thread still registers and cancels them (httpcore5's
     * {@code AbstractSingleCoreIOReactor.close(IMMEDIATE)}), which threw {@code ConcurrentModificationException} at the
     * end of runs; a graceful close waits (up to {@link #CLOSE_WAIT}) for the I/O thread to exit, so only one thread
     * touches them. Requests still in flight fail, and their futures complete.
     */
    @Override
    public void close() {
        closed = true;
        client.initiateShutdown();
        try {
            client.awaitShutdown(TimeValue.of(CLOSE_WAIT));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        client.close(CloseMode.GRACEFUL);
        timers.shutdownNow();
        blocking.shutdownNow();
        // Requests the client dropped without a callback (queued for a connection, or waiting for a retry) and
        // reads that never started: each future still completes, as promised.
        for (CompletableFuture<FetchResult> f : inFlight) {
            f.complete(FetchResult.failed(Reason.FETCH_FAILED.name(), "the fetcher was closed", null, 0));
        }
    }

    private CompletableFuture<FetchResult> tracked(CompletableFuture<FetchResult> future) {
        inFlight.add(future);
        future.whenComplete((r, e) -> inFlight.remove(future));
        if (closed) {
            future.complete(FetchResult.failed(Reason.FETCH_FAILED.name(), "the fetcher is closed", null, 0));
        }
        return future;
    }

    private CompletableFuture<FetchResult> supply(Supplier<FetchResult> read) {
        try {
            return CompletableFuture.supplyAsync(read, blocking);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.completedFuture(
                    FetchResult.failed(Reason.FETCH_FAILED.name(), "the fetcher is closed", null, 0));
        }
    }

    /** The longest status or header line of a response accepted, in bytes. */
    static final int MAX_HEADER_LINE = 8 * 1024;

    /** The most header lines of a response accepted (so a head is at most 800 KiB). */
    static final int MAX_HEADERS = 100;

    /** How long {@link #close()} waits for the client's I/O thread to finish. */
    static final Duration CLOSE_WAIT = Duration.ofSeconds(5);

    /** The host a politeness pause applies to: name and port. */
    private static String hostOf(URI uri) {
        return uri.getHost() + ":" + uri.getPort();
    }

    private static String httpProblem(URI uri) {
        if (uri.getHost() == null || uri.getHost().isEmpty()) {
            return "URL '" + uri + "' has no host";
        }
        if (uri.getRawUserInfo() != null) {
            return "URL '" + uri.getHost() + "' carries credentials, which are refused";
        }
        return null;
    }

    /** One URL over HTTP: its redirects and retries, under one overall deadline. */
    private final class HttpExchange {
        private final CompletableFuture<FetchResult> result = new CompletableFuture<>();
        private final long deadline = System.nanoTime() + options.totalTimeout().toNanos();
        private final Set<URI> visited = new HashSet<>();
        private final AtomicInteger requests = new AtomicInteger();
        private URI current;
        private Integer lastStatus;

        HttpExchange(URI uri) {
            this.current = uri;
        }

        CompletableFuture<FetchResult> start() {
            visited.add(current);
            attempt(1);
            return result;
        }

        private void attempt(int attemptOfHop) {
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                fail(
                        Reason.TIMEOUT.name(),
                        "no answer within the total timeout of " + options.totalTimeout() + " from " + current);
                return;
            }
            long pause = politeness.waitNanos(hostOf(current));
            if (pause > 0) {
                // The host asked to be left alone (429 or 503): wait, as every request to it does.
                if (pause >= remainingNanos) {
                    fail(
                            lastStatus != null ? Reason.http(lastStatus) : Reason.TIMEOUT.name(),
                            hostOf(current) + " asked to be left alone for "
                                    + Duration.ofNanos(pause).toSeconds()
                                    + " s more, past the total timeout of " + options.totalTimeout() + " for "
                                    + current);
                    return;
                }
                try {
                    timers.schedule(() -> attempt(attemptOfHop), pause, TimeUnit.NANOSECONDS);
                } catch (RejectedExecutionException closed) {
                    fail(Reason.FETCH_FAILED.name(), "the fetcher was closed before " + current + " was requested");
                }
                return;
            }
            requests.incrementAndGet();
            long budget = Math.min(options.requestTimeout().toNanos(), remainingNanos);
            CappedBodyConsumer consumer = new CappedBodyConsumer(options.maxBytes());
            AtomicBoolean timedOut = new AtomicBoolean();
            Future<CappedBodyConsumer.Response> inFlight;
            try {
                inFlight = client.execute(
                        SimpleRequestProducer.create(SimpleRequestBuilder.get(current)
                                .addHeader("Accept", "image/*,*/*;q=0.5")
                                .build()),
                        consumer,
                        HttpClientContext.create(),
                        new FutureCallback<>() {
                            @Override
                            public void completed(CappedBodyConsumer.Response response) {
                                onResponse(response, attemptOfHop);
                            }

                            @Override
                            public void failed(Exception e) {
                                onError(e, attemptOfHop);
                            }

                            @Override
                            public void cancelled() {
                                if (timedOut.get()) {
                                    retryOrFail(
                                            attemptOfHop,
                                            Reason.TIMEOUT.name(),
                                            "request to " + current + " took longer than " + Duration.ofNanos(budget));
                                } else {
                                    fail(Reason.FETCH_FAILED.name(), "request to " + current + " was cancelled");
                                }
                            }
                        });
            } catch (RuntimeException closed) {
                // The client refuses new requests once it is shut down (IllegalStateException).
                fail(Reason.FETCH_FAILED.name(), "the fetcher was closed before " + current + " was requested");
                return;
            }
            try {
                timers.schedule(
                        () -> {
                            if (!inFlight.isDone()) {
                                timedOut.set(true);
                                inFlight.cancel(true);
                            }
                        },
                        budget,
                        TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closed) {
                inFlight.cancel(true);
            }
        }

        private void onResponse(CappedBodyConsumer.Response response, int attemptOfHop) {
            int status = response.status();
            lastStatus = status;
            if (status == 429 || status == 503) {
                long pause = politeness.refused(hostOf(current), response.retryAfter());
                retryOrFail(
                        attemptOfHop,
                        Reason.http(status),
                        "server answered " + status + " for " + current
                                + (response.retryAfter() != null
                                        ? " (Retry-After: " + response.retryAfter() + ")"
                                        : ""),
                        pause);
                return;
            }
            politeness.answered(hostOf(current));
            if (status >= 200 && status < 300) {
                result.complete(FetchResult.ok(response.body(), status, requests.get()));
            } else if (isRedirect(status) && response.location() != null) {
                redirect(response.location());
            } else if (status >= 500) {
                retryOrFail(attemptOfHop, Reason.http(status), "server answered " + status + " for " + current);
            } else {
                fail(Reason.http(status), "server answered " + status + " for " + current);
            }
        }

        private void redirect(String location) {
            URI next;
            try {
                next = current.resolve(new URI(location.strip()));
            } catch (URISyntaxException | IllegalArgumentException e) {
                fail(
                        Reason.BAD_URL.name(),
                        "redirect from " + current + " to an unparseable location '" + location + "'");
                return;
            }
            String scheme = next.getScheme() == null ? "" : next.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                fail(Reason.BAD_URL.name(), "redirect from " + current + " to non-HTTP URL " + next + " refused");
                return;
            }
            String problem = httpProblem(next);
            if (problem != null) {
                fail(Reason.BAD_URL.name(), "redirect from " + current + ": " + problem);
                return;
            }
            if (!visited.add(next)) {
                fail(Reason.TOO_MANY_REDIRECTS.name(), "redirect loop: " + current + " leads back to " + next);
                return;
            }
            if (visited.size() - 1 > options.maxRedirects()) {
                fail(
                        Reason.TOO_MANY_REDIRECTS.name(),
                        "more than " + options.maxRedirects() + " redirects, last to " + next);
                return;
            }
            current = next;
            attempt(1);
        }

        private void onError(Exception e, int attemptOfHop) {
            BlockedAddressException blocked = causeOf(e, BlockedAddressException.class);
            if (blocked != null) {
                fail(
                        Reason.BLOCKED_ADDRESS.name(),
                        blocked.getMessage() + " (--allow-network or --allow-private-networks allow it)");
                return;
            }
            MessageConstraintException head = causeOf(e, MessageConstraintException.class);
            if (head != null) {
                fail(
                        Reason.FETCH_FAILED.name(),
                        current + " answered with a response head over the limits (" + MAX_HEADERS + " headers of "
                                + MAX_HEADER_LINE + " bytes): " + head.getMessage());
                return;
            }
            CappedBodyConsumer.TooLargeException tooLarge = causeOf(e, CappedBodyConsumer.TooLargeException.class);
            if (tooLarge != null) {
                fail(Reason.TOO_LARGE.name(), current + ": " + tooLarge.getMessage());
                return;
            }
            if (causeOf(e, SocketTimeoutException.class) != null || causeOf(e, InterruptedIOException.class) != null) {
                retryOrFail(
                        attemptOfHop, Reason.TIMEOUT.name(), "timed out fetching " + current + ": " + e.getMessage());
                return;
            }
            if (causeOf(e, UnknownHostException.class) != null) {
                fail(Reason.FETCH_FAILED.name(), "unknown host " + current.getHost());
                return;
            }
            if (causeOf(e, ConnectException.class) != null) {
                fail(Reason.FETCH_FAILED.name(), "connection to " + current.getHost() + " refused: " + e.getMessage());
                return;
            }
            fail(
                    Reason.FETCH_FAILED.name(),
                    e.getClass().getSimpleName() + " fetching " + current + ": " + e.getMessage());
        }

        private void retryOrFail(int attemptOfHop, String reason, String message) {
            retryOrFail(attemptOfHop, reason, message, backoffNanos(attemptOfHop));
        }

        private void retryOrFail(int attemptOfHop, String reason, String message, long delay) {
            if (attemptOfHop >= options.maxAttempts()) {
                fail(reason, message + " (after " + attemptOfHop + " attempts)");
                return;
            }
            if (System.nanoTime() + delay >= deadline) {
                fail(reason, message + " (no time left to retry within " + options.totalTimeout() + ")");
                return;
            }
            try {
                timers.schedule(() -> attempt(attemptOfHop + 1), delay, TimeUnit.NANOSECONDS);
            } catch (RejectedExecutionException closed) {
                fail(reason, message + " (the fetcher was closed before the retry)");
            }
        }

        private void fail(String reason, String message) {
            result.complete(FetchResult.failed(reason, message, lastStatus, requests.get()));
        }
    }

    /** Delay before retry number {@code n} (1-based): doubling from the initial backoff, capped, with jitter. */
    long backoffNanos(int n) {
        long base = options.backoffInitial().toNanos();
        long delay = n >= 62 ? Long.MAX_VALUE : base << Math.min(n - 1, 30);
        delay = Math.min(delay, options.backoffMax().toNanos());
        long half = delay / 2;
        return half + ThreadLocalRandom.current().nextLong(half + 1);
    }

    private FetchResult readFile(URI uri) {
        Path path;
        try {
            path = Paths.get(uri).toAbsolutePath().normalize();
        } catch (IllegalArgumentException | FileSystemNotFoundException e) {
            return FetchResult.failed(
                    Reason.BAD_URL.name(), "not a local file URL: " + uri + " (" + e.getMessage() + ")", null, 0);
        }
        if (fileRoots.isEmpty()) {
            return FetchResult.failed(
                    Reason.BLOCKED_PATH.name(),
                    "file URLs are refused unless a root is allowed" + " (--allow-file-root): " + path,
                    null,
                    0);
        }
        if (!underRoot(path)) {
            return FetchResult.failed(
                    Reason.BLOCKED_PATH.name(), path + " is outside the allowed roots " + fileRoots, null, 0);
        }
        try {
            Path real = path.toRealPath();
            if (!underRoot(real)) {
                return FetchResult.failed(
                        Reason.BLOCKED_PATH.name(),
                        path + " links to " + real + ", outside the allowed roots",
                        null,
                        0);
            }
            if (!Files.isRegularFile(real)) {
                return FetchResult.failed(Reason.NOT_FOUND.name(), path + " is not a regular file", null, 1);
            }
            long size = Files.size(real);
            if (size > options.maxBytes()) {
                return tooLarge(uri, size);
            }
            try (InputStream in = Files.newInputStream(real)) {
                return capped(uri, in);
            }
        } catch (NoSuchFileException e) {
            return FetchResult.failed(Reason.NOT_FOUND.name(), "no such file: " + path, null, 1);
        } catch (IOException e) {
            return FetchResult.failed(Reason.FETCH_FAILED.name(), "reading " + path + ": " + e, null, 1);
        }
    }

    private boolean underRoot(Path p) {
        for (Path root : fileRoots) {
            if (p.startsWith(root)) {
                return true;
            }
        }
        return false;
    }

    private FetchResult readObject(URI uri) {
        try {
            long size = objects.size(uri);
            if (size > options.maxBytes()) {
                return tooLarge(uri, size);
            }
            try (InputStream in = objects.open(uri)) {
                return capped(uri, in);
            }
        } catch (FileNotFoundException e) {
            return FetchResult.failed(Reason.NOT_FOUND.name(), "no such object: " + uri, null, 1);
        } catch (IOException e) {
            return FetchResult.failed(Reason.FETCH_FAILED.name(), "reading " + uri + ": " + e.getMessage(), null, 1);
        }
    }

    private FetchResult capped(URI uri, InputStream in) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, options.maxBytes() + 1));
        if (bytes.length > options.maxBytes()) {
            return FetchResult.failed(
                    Reason.TOO_LARGE.name(), uri + " is larger than " + options.maxBytes() + " bytes", null, 1);
        }
        return FetchResult.ok(bytes, null, 1);
    }

    private FetchResult tooLarge(URI uri, long size) {
        return FetchResult.failed(
                Reason.TOO_LARGE.name(), uri + " has " + size + " bytes, the limit is " + options.maxBytes(), null, 1);
    }

    private static boolean isRedirect(int status) {
        return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
    }

    private static CompletableFuture<FetchResult> done(Reason reason, String message) {
        return CompletableFuture.completedFuture(FetchResult.failed(reason.name(), message, null, 0));
    }

    private static <T extends Throwable> T causeOf(Throwable e, Class<T> type) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Timeout timeout(Duration d) {
        return Timeout.ofMilliseconds(Math.max(1, d.toMillis()));
    }

    private static ThreadFactory daemonThreads(String name) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
