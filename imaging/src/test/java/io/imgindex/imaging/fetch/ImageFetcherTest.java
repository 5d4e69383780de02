package io.imgindex.imaging.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.testing.TestHttpServer;
import io.imgindex.testing.TestImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.hc.client5.http.DnsResolver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFetcherTest {

    static final byte[] JPEG = TestImages.sample("coffee.jpg");

    static TestHttpServer server;
    static ImageFetcher fetcher;

    @TempDir
    static Path files;

    @BeforeAll
    static void start() {
        server = new TestHttpServer()
                .bytes("/ok.jpg", JPEG, "image/jpeg")
                .status("/missing.jpg", 404)
                .status("/forbidden.jpg", 403)
                .status("/broken.jpg", 503)
                .flaky("/flaky.jpg", 2, JPEG)
                .slow("/slow.jpg", 3_000, JPEG)
                .redirect("/moved.jpg", 301, "/ok.jpg")
                .redirect("/loop-a", 302, "/loop-b")
                .redirect("/loop-b", 302, "/loop-a")
                .redirect("/to-file", 302, "file:///etc/passwd")
                .declaredSize("/huge.jpg", 10L << 30, JPEG)
                .endless("/endless.jpg", 64);
        for (int i = 0; i < 7; i++) {
            server.redirect("/chain" + i, 302, "/chain" + (i + 1));
        }
        server.bytes("/chain7", JPEG, "image/jpeg");
        fetcher = new ImageFetcher(options().build());
    }

    static FetchOptions.Builder options() {
        return FetchOptions.builder()
                .allowedNetworks(List.of("127.0.0.1/32"))
                .connectTimeout(Duration.ofSeconds(2))
                .readTimeout(Duration.ofMillis(800))
                .requestTimeout(Duration.ofSeconds(2))
                .totalTimeout(Duration.ofSeconds(20))
                .backoffInitial(Duration.ofMillis(50))
                .backoffMax(Duration.ofMillis(100))
                .maxBytes(1 << 20)
                .maxRedirects(5);
    }

    @AfterAll
    static void stop() {
        fetcher.close();
        server.close();
    }

    FetchResult fetch(String url) {
        return fetcher.fetch(url).join();
    }

    @Test
    void fetchesAnImage() {
        FetchResult r = fetch(server.url("/ok.jpg"));

        assertThat(r.isOk()).as(r.message()).isTrue();
        assertThat(r.content()).isEqualTo(JPEG);
        assertThat(r.httpStatus()).isEqualTo(200);
        assertThat(r.attempts()).isEqualTo(1);
    }

    @Test
    void reportsClientErrorsWithoutRetrying() {
        FetchResult r = fetch(server.url("/missing.jpg"));

        assertThat(r.reason()).isEqualTo("HTTP_404");
        assertThat(r.attempts()).isEqualTo(1);
        assertThat(fetch(server.url("/forbidden.jpg")).reason()).isEqualTo("HTTP_403");
    }

    @Test
    void retriesServerErrorsThenSucceeds() {
        FetchResult r = fetch(server.url("/flaky.jpg"));

        assertThat(r.isOk()).as(r.message()).isTrue();
        assertThat(r.attempts()).isEqualTo(3);
        assertThat(server.requests("/flaky.jpg")).isEqualTo(3);
    }

    @Test
    void givesUpOnPersistentServerErrors() {
        FetchResult r = fetch(server.url("/broken.jpg"));

        assertThat(r.reason()).isEqualTo("HTTP_503");
        assertThat(r.attempts()).isEqualTo(3);
        assertThat(r.message()).contains("after 3 attempts");
    }

    @Test
    void timesOutOnASlowServerAfterRetrying() {
        long start = System.nanoTime();
        FetchResult r = fetch(server.url("/slow.jpg"));

        assertThat(r.reason()).isEqualTo("TIMEOUT");
        assertThat(r.attempts()).isEqualTo(3);
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void followsRedirects() {
        FetchResult r = fetch(server.url("/moved.jpg"));

        assertThat(r.isOk()).isTrue();
        assertThat(r.attempts()).isEqualTo(2);
    }

    @Test
    void stopsAtRedirectLoopsAndLongChains() {
        FetchResult loop = fetch(server.url("/loop-a"));
        FetchResult chain = fetch(server.url("/chain0"));

        assertThat(loop.reason()).isEqualTo("TOO_MANY_REDIRECTS");
        assertThat(loop.message()).contains("loop");
        assertThat(chain.reason()).isEqualTo("TOO_MANY_REDIRECTS");
        assertThat(chain.message()).contains("more than 5 redirects");
    }

    @Test
    void refusesRedirectsToAddressesOutsideTheAllowedBlocks() {
        // Only 127.0.0.1/32 is allowed: a redirect to another loopback address is refused after the redirect, as a
        // private or metadata address would be (AddressPolicyTest checks those without any traffic).
        server.redirect("/to-elsewhere", 307, "http://127.0.0.2:" + server.port() + "/ok.jpg");
        FetchResult elsewhere = fetch(server.url("/to-elsewhere"));
        FetchResult file = fetch(server.url("/to-file"));

        assertThat(elsewhere.reason()).isEqualTo("BLOCKED_ADDRESS");
        assertThat(elsewhere.message()).contains("127.0.0.2");
        assertThat(file.reason()).isEqualTo("BAD_URL");
    }

    @Test
    void refusesLoopbackByNameAndByAddressUnlessAllowed() {
        try (ImageFetcher strict =
                new ImageFetcher(options().allowedNetworks(List.of()).build())) {
            FetchResult byAddress = strict.fetch(server.url("/ok.jpg")).join();
            FetchResult byName = strict.fetch("http://localhost:" + server.port() + "/ok.jpg")
                    .join();

            assertThat(byAddress.reason()).isEqualTo("BLOCKED_ADDRESS");
            assertThat(byName.reason()).isEqualTo("BLOCKED_ADDRESS");
            assertThat(byName.message()).contains("loopback");
        }
        try (ImageFetcher open = new ImageFetcher(
                options().allowedNetworks(List.of()).allowPrivateNetworks(true).build())) {
            assertThat(open.fetch("http://localhost:" + server.port() + "/ok.jpg")
                            .join()
                            .isOk())
                    .isTrue();
        }
    }

    @Test
    void refusesBodiesOverTheLimit() {
        FetchResult declared = fetch(server.url("/huge.jpg"));
        FetchResult actual = fetch(server.url("/endless.jpg"));

        assertThat(declared.reason()).isEqualTo("TOO_LARGE");
        assertThat(declared.message()).contains("declared size");
        assertThat(actual.reason()).isEqualTo("TOO_LARGE");
    }

    @Test
    void rejectsBadUrls() {
        assertThat(fetch("ftp://example.com/a.jpg").reason()).isEqualTo("BAD_URL");
        assertThat(fetch("example.com/a.jpg").reason()).isEqualTo("BAD_URL");
        assertThat(fetch("http:///a.jpg").reason()).isEqualTo("BAD_URL");
        assertThat(fetch("http://user:secret@example.com/a.jpg").reason()).isEqualTo("BAD_URL");
        assertThat(fetch("http://exa mple.com/a.jpg").reason()).isEqualTo("BAD_URL");
    }

    @Test
    void refusesResponseHeadsOverTheLimits() {
        server.route("/many-headers", (ex, n) -> {
            for (int i = 0; i < 5_000; i++) {
                ex.getResponseHeaders().add("X-Flood-" + i, "x");
            }
            TestHttpServer.send(ex, 200, JPEG, "image/jpeg");
        });
        server.route("/long-header", (ex, n) -> {
            ex.getResponseHeaders().add("X-Long", "y".repeat(64 * 1024));
            TestHttpServer.send(ex, 200, JPEG, "image/jpeg");
        });
        long start = System.nanoTime();
        FetchResult many = fetch(server.url("/many-headers"));
        FetchResult longLine = fetch(server.url("/long-header"));

        assertThat(many.reason()).isEqualTo("FETCH_FAILED");
        assertThat(many.message()).contains("response head over the limits");
        assertThat(longLine.reason()).isEqualTo("FETCH_FAILED");
        assertThat(longLine.message()).contains("response head over the limits");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    }

    @Test
    void closesCleanlyWithRequestsInFlight() throws Exception {
        for (int i = 0; i < 8; i++) {
            server.slow("/closing/" + i, 2_000, JPEG);
        }
        // Closing while the I/O thread is busy used to race it over the selector's keys; repeat to give the
        // race its chances. Every future completes (a failure), and close neither throws nor hangs.
        for (int round = 0; round < 10; round++) {
            ImageFetcher f = new ImageFetcher(options().build());
            List<java.util.concurrent.CompletableFuture<FetchResult>> inFlight = new java.util.ArrayList<>();
            for (int i = 0; i < 8; i++) {
                inFlight.add(f.fetch(server.url("/closing/" + i)));
            }
            Thread.onSpinWait();
            long start = System.nanoTime();
            f.close();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(ImageFetcher.CLOSE_WAIT.plusSeconds(2));
            for (var future : inFlight) {
                FetchResult r = future.get(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r.isOk()).isFalse();
            }
        }
    }

    @Test
    void reportsUnreachableHosts() throws Exception {
        // A name no resolver knows, answered here rather than by the machine's DNS server (tests talk to loopback
        // only), and a loopback port nothing listens on.
        DnsResolver none = new DnsResolver() {
            @Override
            public java.net.InetAddress[] resolve(String host) throws java.net.UnknownHostException {
                throw new java.net.UnknownHostException(host);
            }

            @Override
            public String resolveCanonicalHostname(String host) throws java.net.UnknownHostException {
                throw new java.net.UnknownHostException(host);
            }
        };
        try (ImageFetcher f = new ImageFetcher(options().build(), ObjectStore.none(), none)) {
            FetchResult unknown = f.fetch("http://no-such-host.invalid/a.jpg").join();
            assertThat(unknown.reason()).isEqualTo("FETCH_FAILED");
            assertThat(unknown.message()).contains("unknown host no-such-host.invalid");
        }
        int closed;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = s.getLocalPort();
        }
        FetchResult refused = fetch("http://127.0.0.1:" + closed + "/a.jpg");
        assertThat(refused.reason()).isEqualTo("FETCH_FAILED");
        assertThat(refused.message()).contains("refused");
    }

    @Test
    void limitsConcurrentConnectionsPerHost() {
        server.trackConcurrency("/par/");
        for (int i = 0; i < 12; i++) {
            server.slow("/par/" + i, 200, JPEG);
        }
        try (ImageFetcher limited =
                new ImageFetcher(options().perHostConcurrency(2).build())) {
            List<CompletableFuture<FetchResult>> all = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                all.add(limited.fetch(server.url("/par/" + i)));
            }
            for (CompletableFuture<FetchResult> f : all) {
                assertThat(f.join().isOk()).isTrue();
            }
        }
        assertThat(server.peakConcurrency("/par/")).isEqualTo(2);
    }

    @Test
    void readsFilesOnlyUnderAllowedRoots() throws Exception {
        Path root = Files.createDirectories(files.resolve("root"));
        Path inside = Files.write(root.resolve("a.jpg"), JPEG);
        Path outside = Files.write(files.resolve("secret.jpg"), JPEG);
        Path link = Files.createSymbolicLink(root.resolve("escape.jpg"), outside);
        try (ImageFetcher local = new ImageFetcher(
                        options().allowedFileRoots(List.of(root.toString())).build());
                ImageFetcher none = new ImageFetcher(options().build())) {
            assertThat(local.fetch(inside.toUri().toString()).join().content()).isEqualTo(JPEG);
            assertThat(local.fetch(outside.toUri().toString()).join().reason()).isEqualTo("BLOCKED_PATH");
            assertThat(local.fetch(link.toUri().toString()).join().reason()).isEqualTo("BLOCKED_PATH");
            assertThat(local.fetch(root.resolve("../root/../secret.jpg").toUri().toString())
                            .join()
                            .reason())
                    .isEqualTo("BLOCKED_PATH");
            assertThat(local.fetch(root.resolve("nope.jpg").toUri().toString())
                            .join()
                            .reason())
                    .isEqualTo("NOT_FOUND");
            assertThat(none.fetch(inside.toUri().toString()).join().reason()).isEqualTo("BLOCKED_PATH");
        }
    }

    @Test
    void backoffGrowsAndStaysWithinBounds() {
        try (ImageFetcher f = new ImageFetcher(options()
                .backoffInitial(Duration.ofMillis(100))
                .backoffMax(Duration.ofMillis(350))
                .build())) {
            for (int i = 0; i < 50; i++) {
                assertThat(f.backoffNanos(1)).isBetween(50_000_000L, 100_000_000L);
                assertThat(f.backoffNanos(2)).isBetween(100_000_000L, 200_000_000L);
                assertThat(f.backoffNanos(10)).isBetween(175_000_000L, 350_000_000L);
            }
        }
    }
}
