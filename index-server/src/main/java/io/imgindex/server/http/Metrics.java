package io.imgindex.server.http;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * The server's metrics in Prometheus' text format: requests by endpoint and status, request latency histograms
 * by endpoint, generation loads (duration, failures), the served generation and its size, and the HTTP server's
 * gauges (connections, body bytes being received, busy workers, queued requests). Thread-safe and
 * lock-free on the request path.
 */
public final class Metrics {

    static final double[] LATENCY_BUCKETS = {
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
    };

    static final double[] LOAD_BUCKETS = {0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600, 1800};

    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, Histogram> latency = new ConcurrentHashMap<>();
    private final Histogram loads = new Histogram(LOAD_BUCKETS);
    private final LongAdder loadFailures = new LongAdder();
    private final AtomicLong generation = new AtomicLong(-1);
    private final AtomicLong vectors = new AtomicLong();
    private final AtomicLong loadedAtSeconds = new AtomicLong();
    private final Map<String, Gauge> gauges = new ConcurrentSkipListMap<>();

    private record Gauge(String help, LongSupplier value) {}

    /** Adds a gauge read at each exposition (a name that is there already is replaced). */
    public void gauge(String name, String help, LongSupplier value) {
        gauges.put(name, new Gauge(help, value));
    }

    /** A gauge's value now. */
    public long gauge(String name) {
        Gauge g = gauges.get(name);
        if (g == null) {
            throw new IllegalArgumentException("no gauge " + name);
        }
        return g.value().getAsLong();
    }

    /** Records one answered request. */
    public void request(String endpoint, int status, long nanos) {
        requests.computeIfAbsent(endpoint + "\u0000" + status, k -> new LongAdder())
                .increment();
        latency.computeIfAbsent(endpoint, k -> new Histogram(LATENCY_BUCKETS)).observe(nanos / 1e9);
    }

    /** Records a generation swapped in. */
    public void loaded(long gen, long vectorCount, double seconds, long epochSeconds) {
        loads.observe(seconds);
        generation.set(gen);
        vectors.set(vectorCount);
        loadedAtSeconds.set(epochSeconds);
    }

    public void loadFailed() {
        loadFailures.increment();
    }

    /** The exposition text. */
    public String render() {
        StringBuilder s = new StringBuilder();
        s.append("# HELP imgindex_requests_total Requests answered, by endpoint and HTTP status.\n");
        s.append("# TYPE imgindex_requests_total counter\n");
        new TreeMap<>(requests).forEach((key, n) -> {
            String[] parts = key.split("\u0000");
            s.append("imgindex_requests_total{endpoint=\"")
                    .append(parts[0])
                    .append("\",status=\"")
                    .append(parts[1])
                    .append("\"} ")
                    .append(n.sum())
                    .append('\n');
        });
        s.append("# HELP imgindex_request_duration_seconds Time to answer a request, by endpoint.\n");
        s.append("# TYPE imgindex_request_duration_seconds histogram\n");
        new TreeMap<>(latency)
                .forEach((endpoint, h) ->
                        h.render(s, "imgindex_request_duration_seconds", "endpoint=\"" + endpoint + "\","));
        s.append("# HELP imgindex_generation_load_seconds Time to load and swap in a generation.\n");
        s.append("# TYPE imgindex_generation_load_seconds histogram\n");
        loads.render(s, "imgindex_generation_load_seconds", "");
        s.append("# HELP imgindex_generation_load_failures_total Generations refused or failed to load.\n");
        s.append("# TYPE imgindex_generation_load_failures_total counter\n");
        s.append("imgindex_generation_load_failures_total ")
                .append(loadFailures.sum())
                .append('\n');
        s.append("# HELP imgindex_generation The generation being served (-1: none yet).\n");
        s.append("# TYPE imgindex_generation gauge\n");
        s.append("imgindex_generation ").append(generation.get()).append('\n');
        s.append("# HELP imgindex_vectors Vectors in the served shards.\n");
        s.append("# TYPE imgindex_vectors gauge\n");
        s.append("imgindex_vectors ").append(vectors.get()).append('\n');
        s.append("# HELP imgindex_generation_loaded_timestamp_seconds When the served generation was loaded.\n");
        s.append("# TYPE imgindex_generation_loaded_timestamp_seconds gauge\n");
        s.append("imgindex_generation_loaded_timestamp_seconds ")
                .append(loadedAtSeconds.get())
                .append('\n');
        gauges.forEach((name, g) -> s.append("# HELP ")
                .append(name)
                .append(' ')
                .append(g.help())
                .append("\n# TYPE ")
                .append(name)
                .append(" gauge\n")
                .append(name)
                .append(' ')
                .append(g.value().getAsLong())
                .append('\n'));
        return s.toString();
    }

    /** A cumulative histogram with fixed buckets. */
    static final class Histogram {
        private final double[] bounds;
        private final LongAdder[] counts;
        private final DoubleAdder sum = new DoubleAdder();
        private final LongAdder count = new LongAdder();

        Histogram(double[] bounds) {
            this.bounds = bounds;
            this.counts = new LongAdder[bounds.length];
            for (int i = 0; i < bounds.length; i++) {
                counts[i] = new LongAdder();
            }
        }

        void observe(double value) {
            for (int i = 0; i < bounds.length; i++) {
                if (value <= bounds[i]) {
                    counts[i].increment();
                    break;
                }
            }
            sum.add(value);
            count.increment();
        }

        void render(StringBuilder s, String name, String labels) {
            long cumulative = 0;
            for (int i = 0; i < bounds.length; i++) {
                cumulative += counts[i].sum();
                s.append(name)
                        .append("_bucket{")
                        .append(labels)
                        .append("le=\"")
                        .append(bounds[i])
                        .append("\"} ")
                        .append(cumulative)
                        .append('\n');
            }
            String plain = labels.isEmpty() ? "" : "{" + labels.substring(0, labels.length() - 1) + "}";
            s.append(name)
                    .append("_bucket{")
                    .append(labels)
                    .append("le=\"+Inf\"} ")
                    .append(count.sum())
                    .append('\n');
            s.append(name)
                    .append("_sum")
                    .append(plain)
                    .append(' ')
                    .append(sum.sum())
                    .append('\n');
            s.append(name)
                    .append("_count")
                    .append(plain)
                    .append(' ')
                    .append(count.sum())
                    .append('\n');
        }
    }
}
