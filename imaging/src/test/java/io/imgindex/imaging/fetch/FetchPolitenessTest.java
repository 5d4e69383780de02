package io.imgindex.imaging.fetch;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.testing.TestHttpServer;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** 429 and 503 answers: retried after the time the server asks, per host, within the total timeout. */
class FetchPolitenessTest {

    private static final byte[] JPEG = ImageFetcherTest.JPEG;

    private final TestHttpServer server = new TestHttpServer();
    private final ConcurrentHashMap<String, Long> arrivals = new ConcurrentHashMap<>();

    @AfterEach
    void stop() {
        server.close();
    }

    private static FetchOptions.Builder options() {
        return ImageFetcherTest.options().totalTimeout(Duration.ofSeconds(10)).maxAttempts(4);
    }

    private FetchResult fetch(ImageFetcher f, String path) throws Exception {
        return f.fetch(server.url(path)).get(30, TimeUnit.SECONDS);
    }

    @Test
    void a429IsRetriedAfterTheTimeTheServerAsks() throws Exception {
        server.route("/busy.jpg", (ex, n) -> {
            if (n == 1) {
                ex.getResponseHeaders().set("Retry-After", "1");
                TestHttpServer.send(ex, 429, "slow down".getBytes(), "text/plain");
            } else {
                TestHttpServer.send(ex, 200, JPEG, "image/jpeg");
            }
        });
        try (ImageFetcher f = new ImageFetcher(options().build())) {
            long start = System.nanoTime();
            FetchResult r = fetch(f, "/busy.jpg");
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertThat(r.isOk()).as(r.message()).isTrue();
            assertThat(r.attempts()).isEqualTo(2);
            // The backoff alone would have waited 50..100 ms; the server asked for a second.
            assertThat(ms).isBetween(950L, 5_000L);
        }
    }

    @Test
    void aRetryAfterDateIsHonouredToo() throws Exception {
        server.route("/busy-date.jpg", (ex, n) -> {
            if (n == 1) {
                String in2s = ZonedDateTime.now(java.time.ZoneOffset.UTC)
                        .plusSeconds(2)
                        .format(DateTimeFormatter.RFC_1123_DATE_TIME);
                ex.getResponseHeaders().set("Retry-After", in2s);
                TestHttpServer.send(ex, 503, "maintenance".getBytes(), "text/plain");
            } else {
                TestHttpServer.send(ex, 200, JPEG, "image/jpeg");
            }
        });
        try (ImageFetcher f = new ImageFetcher(options().build())) {
            long start = System.nanoTime();
            FetchResult r = fetch(f, "/busy-date.jpg");
            assertThat(r.isOk()).as(r.message()).isTrue();
            // An HTTP date has a resolution of one second: at least one second, at most about two.
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isBetween(900L, 5_000L);
        }
    }

    @Test
    void aPausePastTheTotalTimeoutFailsAtOnceWithTheServersStatus() throws Exception {
        server.route("/closed.jpg", (ex, n) -> {
            ex.getResponseHeaders().set("Retry-After", "3600");
            TestHttpServer.send(ex, 429, "come back in an hour".getBytes(), "text/plain");
        });
        try (ImageFetcher f = new ImageFetcher(options().build())) {
            long start = System.nanoTime();
            FetchResult r = fetch(f, "/closed.jpg");
            assertThat(r.reason()).isEqualTo("HTTP_429");
            assertThat(r.message()).contains("Retry-After: 3600").contains("no time left");
            assertThat(r.attempts()).isEqualTo(1);
            assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start)).isLessThan(2_000L);
        }
    }

    @Test
    void everyRequestToARefusingHostWaitsItsPauseOut() throws Exception {
        AtomicLong refusedAt = new AtomicLong();
        server.route("/b.jpg", (ex, n) -> {
            arrivals.put("b", System.nanoTime());
            TestHttpServer.send(ex, 200, JPEG, "image/jpeg");
        });
        server.route("/c.jpg", (ex, n) -> {
            refusedAt.set(System.nanoTime());
            ex.getResponseHeaders().set("Retry-After", "1");
            TestHttpServer.send(ex, 503, "unavailable".getBytes(), "text/plain");
        });
        try (ImageFetcher f = new ImageFetcher(options().maxAttempts(1).build())) {
            FetchResult c = fetch(f, "/c.jpg");
            assertThat(c.reason()).isEqualTo("HTTP_503");
            CompletableFuture<FetchResult> b = f.fetch(server.url("/b.jpg"));
            assertThat(b.get(30, TimeUnit.SECONDS).isOk()).isTrue();
            long waited = TimeUnit.NANOSECONDS.toMillis(arrivals.get("b") - refusedAt.get());
            assertThat(waited).as("b reached the host only after its pause").isGreaterThanOrEqualTo(900L);
        }
    }

    @Test
    void aHostThatKeepsRefusingIsBackedOffLonger() {
        AtomicLong now = new AtomicLong();
        HostBackoff b = new HostBackoff(Duration.ofMillis(100), Duration.ofSeconds(5), now::get);
        assertThat(b.refused("h:80", null)).isEqualTo(Duration.ofMillis(100).toNanos());
        assertThat(b.refused("h:80", null)).isEqualTo(Duration.ofMillis(200).toNanos());
        assertThat(b.refused("h:80", null)).isEqualTo(Duration.ofMillis(400).toNanos());
        for (int i = 0; i < 40; i++) {
            b.refused("h:80", null);
        }
        assertThat(b.waitNanos("h:80")).isEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(b.waitNanos("other:80")).isZero();
        // Once the pause is over, an answer resets the count.
        now.addAndGet(Duration.ofSeconds(6).toNanos());
        b.answered("h:80");
        assertThat(b.refused("h:80", null)).isEqualTo(Duration.ofMillis(100).toNanos());
        // What the server asks wins over the backoff, within the longest pause taken.
        assertThat(b.refused("k:80", "7")).isEqualTo(Duration.ofSeconds(7).toNanos());
        assertThat(b.refused("m:80", "99999999999")).isEqualTo(HostBackoff.LONGEST_ASKED.toNanos());
        assertThat(HostBackoff.parseRetryAfter("soon", 0)).isEqualTo(-1);
    }
}
