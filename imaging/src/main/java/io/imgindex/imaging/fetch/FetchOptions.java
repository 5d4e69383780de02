package io.imgindex.imaging.fetch;

import java.io.Serializable;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The bounds of the fetcher. Immutable; build with {@link #builder()}, whose {@code build()} checks every
 * value and names the bad one.
 *
 * @param connectTimeout time to establish a TCP (and TLS) connection
 * @param readTimeout longest silence while waiting for response bytes
 * @param requestTimeout longest time for one whole attempt, body included (stops slow-drip servers)
 * @param totalTimeout longest time for a URL from the first attempt to the last answer, redirects, retries,
 *     backoff and waiting for a connection included
 * @param maxBytes largest body accepted; larger declared or actual sizes fail with {@code TOO_LARGE}
 * @param maxRedirects redirects followed before {@code TOO_MANY_REDIRECTS}
 * @param maxAttempts attempts per URL; retries happen only after timeouts, 5xx and 429 answers (a 429 or 503 after
 *     the time its Retry-After asks)
 * @param backoffInitial delay before the first retry; doubled for each further one
 * @param backoffMax upper bound of a retry delay
 * @param perHostConcurrency connections open at once to one host (scheme, host and port)
 * @param maxConnections connections open at once in total, per fetcher
 * @param userAgent the {@code User-Agent} header
 * @param allowPrivateNetworks whether loopback, private and link-local addresses may be fetched
 * @param allowedNetworks CIDR blocks that may be fetched even though they are not public
 * @param allowedFileRoots folders under which {@code file:} URLs may be read; none by default
 * @param blockingThreads threads for {@code file:} and {@code s3a:} reads, per fetcher
 */
public record FetchOptions(
        Duration connectTimeout,
        Duration readTimeout,
        Duration requestTimeout,
        Duration totalTimeout,
        long maxBytes,
        int maxRedirects,
        int maxAttempts,
        Duration backoffInitial,
        Duration backoffMax,
        int perHostConcurrency,
        int maxConnections,
        String userAgent,
        boolean allowPrivateNetworks,
        List<String> allowedNetworks,
        List<String> allowedFileRoots,
        int blockingThreads)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public FetchOptions {
        allowedNetworks = List.copyOf(allowedNetworks);
        allowedFileRoots = List.copyOf(allowedFileRoots);
    }

    /** The address policy these options describe. */
    public AddressPolicy addressPolicy() {
        return AddressPolicy.of(allowPrivateNetworks, allowedNetworks);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Builds {@link FetchOptions}; every setter has a sensible default. */
    public static final class Builder {
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration readTimeout = Duration.ofSeconds(15);
        private Duration requestTimeout = Duration.ofSeconds(60);
        private Duration totalTimeout = Duration.ofSeconds(120);
        private long maxBytes = 20L << 20;
        private int maxRedirects = 5;
        private int maxAttempts = 3;
        private Duration backoffInitial = Duration.ofMillis(500);
        private Duration backoffMax = Duration.ofSeconds(10);
        private int perHostConcurrency = 4;
        private int maxConnections = 64;
        private String userAgent = "imgindex/0.1";
        private boolean allowPrivateNetworks;
        private List<String> allowedNetworks = List.of();
        private List<String> allowedFileRoots = List.of();
        private int blockingThreads = 4;

        private Builder() {}

        public Builder connectTimeout(Duration v) {
            connectTimeout = v;
            return this;
        }

        public Builder readTimeout(Duration v) {
            readTimeout = v;
            return this;
        }

        public Builder requestTimeout(Duration v) {
            requestTimeout = v;
            return this;
        }

        public Builder totalTimeout(Duration v) {
            totalTimeout = v;
            return this;
        }

        public Builder maxBytes(long v) {
            maxBytes = v;
            return this;
        }

        public Builder maxRedirects(int v) {
            maxRedirects = v;
            return this;
        }

        public Builder maxAttempts(int v) {
            maxAttempts = v;
            return this;
        }

        public Builder backoffInitial(Duration v) {
            backoffInitial = v;
            return this;
        }

        public Builder backoffMax(Duration v) {
            backoffMax = v;
            return this;
        }

        public Builder perHostConcurrency(int v) {
            perHostConcurrency = v;
            return this;
        }

        public Builder maxConnections(int v) {
            maxConnections = v;
            return this;
        }

        public Builder userAgent(String v) {
            userAgent = v;
            return this;
        }

        public Builder allowPrivateNetworks(boolean v) {
            allowPrivateNetworks = v;
            return this;
        }

        public Builder allowedNetworks(List<String> v) {
            allowedNetworks = v;
            return this;
        }

        public Builder allowedFileRoots(List<String> v) {
            allowedFileRoots = v;
            return this;
        }

        public Builder blockingThreads(int v) {
            blockingThreads = v;
            return this;
        }

        /**
         * @throws IllegalArgumentException naming the first value out of range
         */
        public FetchOptions build() {
            positive("connect timeout", connectTimeout);
            positive("read timeout", readTimeout);
            positive("request timeout", requestTimeout);
            positive("total timeout", totalTimeout);
            positive("initial backoff", backoffInitial);
            positive("maximum backoff", backoffMax);
            atLeast("maximum bytes", maxBytes, 1);
            atLeast("maximum redirects", maxRedirects, 0);
            atLeast("maximum attempts", maxAttempts, 1);
            atLeast("per-host concurrency", perHostConcurrency, 1);
            atLeast("maximum connections", maxConnections, perHostConcurrency);
            atLeast("blocking threads", blockingThreads, 1);
            if (userAgent == null || userAgent.isBlank() || userAgent.chars().anyMatch(Character::isISOControl)) {
                throw new IllegalArgumentException(
                        "user agent must be non-blank printable text, was '" + userAgent + "'");
            }
            Objects.requireNonNull(allowedFileRoots, "allowed file roots");
            AddressPolicy.of(allowPrivateNetworks, allowedNetworks); // checks the blocks parse
            return new FetchOptions(
                    connectTimeout,
                    readTimeout,
                    requestTimeout,
                    totalTimeout,
                    maxBytes,
                    maxRedirects,
                    maxAttempts,
                    backoffInitial,
                    backoffMax,
                    perHostConcurrency,
                    maxConnections,
                    userAgent,
                    allowPrivateNetworks,
                    allowedNetworks,
                    allowedFileRoots,
                    blockingThreads);
        }

        private static void positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, was " + d);
            }
        }

        private static void atLeast(String what, long value, long min) {
            if (value < min) {
                throw new IllegalArgumentException(what + " must be at least " + min + ", was " + value);
            }
        }
    }
}
