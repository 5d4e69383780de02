package io.imgindex.server.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imgindex.format.ShardAssignment;
import io.imgindex.server.IndexServer;
import io.imgindex.server.ServerConfig;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.Json;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.Request;
import io.imgindex.server.http.Response;
import io.imgindex.server.http.Routes;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A router: the same search API as a shard server, answered by fanning each query out to the shard servers
 * ({@code --backends}) and merging their top-k. It answers within {@code --router.deadline} whatever the backends
 * do: a slow or stopped backend's shards are reported in {@code missing_shards} with {@code "partial": true}.
 * Items are asked of the server that holds the id's shard. Which backend holds which shards is learnt from their
 * {@code /v1/index}, every few seconds. Stateless itself; thread-safe.
 */
public final class RouterServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RouterServer.class);

    /** What a backend said about itself last. */
    record Backend(String hostPort, URI base) {}

    record Info(long generation, int shardsTotal, Set<Integer> shards, int dimension, String model) {}

    private final List<Backend> backends;
    private final Map<Backend, Info> infos = new ConcurrentHashMap<>();
    private final HttpClient client;
    private final Duration deadline;
    private final Metrics metrics = new Metrics();
    private final ScheduledExecutorService refresher;
    private final AtomicInteger turn = new AtomicInteger();
    private IndexServer http;

    private RouterServer(List<Backend> backends, Duration deadline) {
        this.backends = backends;
        this.deadline = deadline;
        this.client = HttpClient.newBuilder()
                .connectTimeout(deadline)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imgindex-router-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts a router. */
    public static RouterServer start(ServerConfig config) throws Exception {
        if (config.role() != ServerConfig.Role.ROUTER) {
            throw new IllegalArgumentException("a router needs a router's configuration, not a shard server's");
        }
        List<Backend> backends = config.router().backends().stream()
                .map(hp -> new Backend(hp, URI.create("http://" + hp)))
                .toList();
        RouterServer router = new RouterServer(backends, config.router().deadline());
        router.refresher.scheduleWithFixedDelay(router::refresh, 0, 2, TimeUnit.SECONDS);
        router.http = IndexServer.start(
                config.listen().host(), config.listen().port(), router.routes(), router.metrics, config.http());
        return router;
    }

    public IndexServer http() {
        return http;
    }

    Routes routes() {
        return new Routes()
                .add("POST", "/v1/search", "search", r -> fanOut(Json.parse(r.body()), System.nanoTime()))
                .add("POST", "/v1/search/image", "search_image", this::searchImage)
                .add(
                        "GET",
                        "/v1/items/{id}",
                        "item",
                        r -> forwardToOwner(r, "/v1/items/" + enc(r.pathParams().get("id")) + query(r)))
                .add("GET", "/v1/items/{id}/similar", "similar", this::similar)
                .add("GET", "/v1/index", "index", r -> Response.json(describe()))
                .addImmediate("GET", "/healthz", "healthz", r -> Response.json(Map.of("status", "alive")))
                .addImmediate(
                        "GET",
                        "/readyz",
                        "readyz",
                        r -> missing().isEmpty() && !infos.isEmpty()
                                ? Response.json(Map.of("status", "ready"))
                                : Response.error(503, "shards not served by any backend: " + missing()))
                .addImmediate(
                        "GET",
                        "/metrics",
                        "metrics",
                        r -> Response.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
    }

    /**
     * Asks one backend per shard ({@link ShardPlan}) for its search results and merges them, within the deadline.
     * Only answers of the plan's generation count, each for the shards it was asked for, so replicas never double a
     * hit and one answer never mixes generations; a shard without a counted answer is reported missing.
     */
    private Response fanOut(JsonNode body, long start) {
        if (body.has("k") && !body.get("k").canConvertToInt()) {
            throw ApiException.badRequest("k must be an integer");
        }
        int k = body.has("k") ? body.get("k").asInt() : 10;
        byte[] payload = Json.mapper()
                .createObjectNode()
                .setAll((ObjectNode) body)
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        ShardPlan plan = ShardPlan.of(Map.copyOf(infos), turn.getAndIncrement());
        // Before the first refresh nothing is known: ask every backend, count the newest generation's answers.
        List<Backend> targets = plan.assignments().isEmpty()
                ? backends
                : List.copyOf(plan.assignments().keySet());
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (Backend b : targets) {
            calls.add(send(HttpRequest.newBuilder(b.base().resolve("/v1/search"))
                    .timeout(deadline)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                    .build()));
        }
        awaitDeadline(calls, start);
        List<JsonNode> answers = new ArrayList<>();
        List<Backend> answering = new ArrayList<>();
        ApiException clientError = null;
        for (int i = 0; i < targets.size(); i++) {
            HttpResponse<byte[]> res = calls.get(i).getNow(null);
            if (res == null) {
                continue;
            }
            if (res.statusCode() >= 400 && res.statusCode() < 500) {
                clientError = new ApiException(res.statusCode(), error(res));
                continue;
            }
            if (res.statusCode() == 200) {
                answers.add(Json.parse(res.body()));
                answering.add(targets.get(i));
            }
        }
        if (answers.isEmpty() && clientError != null) {
            throw clientError; // the query itself is wrong: the backends say so
        }
        long generation = plan.generation() >= 0
                ? plan.generation()
                : answers.stream()
                        .mapToLong(a -> a.get("generation").asLong())
                        .max()
                        .orElse(-1);
        List<JsonNode> results = new ArrayList<>();
        Set<Integer> answered = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        String mode = null;
        for (int i = 0; i < answers.size(); i++) {
            JsonNode r = answers.get(i);
            if (r.get("generation").asLong() != generation) {
                continue; // it switched generations since the plan: its shards count as missing this time
            }
            Set<Integer> mine = new TreeSet<>();
            r.get("shards").forEach(s -> mine.add(s.asInt()));
            Set<Integer> asked = plan.assignments().get(answering.get(i));
            if (asked != null) {
                mine.retainAll(asked);
            }
            mine.removeAll(answered);
            for (JsonNode hit : r.get("results")) {
                if (mine.contains(hit.get("shard").asInt())
                        && seen.add(hit.get("id").asText())) {
                    results.add(hit);
                }
            }
            answered.addAll(mine);
            mode = r.get("mode").asText();
        }
        if (answered.isEmpty()) {
            throw ApiException.unavailable("no backend answered within " + deadline.toMillis() + " ms");
        }
        results.sort(Comparator.comparingDouble((JsonNode n) -> -n.get("score").asDouble())
                .thenComparingInt(n -> n.get("shard").asInt())
                .thenComparing(n -> n.get("id").asText()));
        Set<Integer> missing = missingFrom(answered);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", generation);
        out.put("took_ms", Math.round((System.nanoTime() - start) / 1e3) / 1e3);
        out.put("mode", mode);
        out.put("partial", !missing.isEmpty());
        out.put("missing_shards", missing);
        out.put("shards", answered);
        out.put("results", results.subList(0, Math.min(k, results.size())));
        return Response.json(out);
    }

    private Response searchImage(Request r) {
        long start = System.nanoTime();
        Backend any = readyBackend();
        HttpRequest.Builder embed = HttpRequest.newBuilder(any.base().resolve("/v1/embed"))
                .timeout(deadline)
                .header("Content-Type", r.mediaType().isEmpty() ? "application/octet-stream" : r.mediaType());
        ObjectNode search = Json.mapper().createObjectNode();
        if (r.mediaType().equals("application/json")) {
            JsonNode body = Json.parse(r.body());
            ObjectNode url = Json.mapper().createObjectNode();
            url.set("url", body.get("url"));
            embed.POST(HttpRequest.BodyPublishers.ofString(url.toString()));
            body.fields().forEachRemaining(e -> {
                if (!e.getKey().equals("url")) {
                    search.set(e.getKey(), e.getValue());
                }
            });
        } else {
            embed.POST(HttpRequest.BodyPublishers.ofByteArray(r.body()));
            paramsInto(r, search);
        }
        HttpResponse<byte[]> vector = call(embed.build());
        if (vector.statusCode() == 404) {
            throw new ApiException(
                    503, "the shard servers do not embed images for this router: start them with --embed-endpoint");
        }
        if (vector.statusCode() != 200) {
            throw new ApiException(vector.statusCode(), error(vector));
        }
        search.set("vector", Json.parse(vector.body()).get("vector"));
        return fanOut(search, start);
    }

    private Response similar(Request r) {
        long start = System.nanoTime();
        String id = r.pathParams().get("id");
        Response item = forwardToOwner(r, "/v1/items/" + enc(id) + "?vector=true");
        if (item.status() != 200) {
            return item;
        }
        JsonNode vector = Json.parse(item.body()).get("vector");
        if (vector == null) {
            throw ApiException.notFound("'" + id + "' is recorded as a duplicate, not an indexed item");
        }
        ObjectNode search = Json.mapper().createObjectNode();
        paramsInto(r, search);
        search.set("vector", vector);
        search.put("exclude_id", id);
        return fanOut(search, start);
    }

    /** Forwards a GET to the backend serving the id's shard. */
    private Response forwardToOwner(Request r, String pathAndQuery) {
        String id = r.pathParams().get("id");
        Info any =
                infos.values().stream().findFirst().orElseThrow(() -> ApiException.unavailable("no backend is ready"));
        int shard = ShardAssignment.shardOf(id, any.shardsTotal());
        Backend owner = infos.entrySet().stream()
                .filter(e -> e.getValue().shards().contains(shard))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> ApiException.unavailable(
                        "shard " + shard + " of '" + id + "' is not served by any" + " backend right now"));
        HttpResponse<byte[]> res = call(HttpRequest.newBuilder(owner.base().resolve(pathAndQuery))
                .timeout(deadline)
                .GET()
                .build());
        return new Response(res.statusCode(), "application/json", res.body(), Map.of());
    }

    private static void paramsInto(Request r, ObjectNode search) {
        for (String name : List.of("k", "ef")) {
            if (r.param(name) != null) {
                search.put(name, r.intParam(name, 0));
            }
        }
        if (r.param("mode") != null) {
            search.put("mode", r.param("mode"));
        }
        if (r.param("include_duplicates") != null) {
            search.put("include_duplicates", Boolean.parseBoolean(r.param("include_duplicates")));
        }
        if (r.param("filter") != null) {
            search.set("filter", Json.parse(r.param("filter").getBytes(StandardCharsets.UTF_8)));
        }
    }

    private Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        List<Map<String, Object>> list = new ArrayList<>();
        for (Backend b : backends) {
            Info i = infos.get(b);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("backend", b.hostPort());
            m.put("ready", i != null);
            if (i != null) {
                m.put("generation", i.generation());
                m.put("shards", i.shards());
                m.put("model", i.model());
            }
            list.add(m);
        }
        out.put("router", true);
        out.put("backends", list);
        out.put("missing_shards", missing());
        return out;
    }

    private Set<Integer> missing() {
        Set<Integer> covered = new TreeSet<>();
        infos.values().forEach(i -> covered.addAll(i.shards()));
        return missingFrom(covered);
    }

    private Set<Integer> missingFrom(Set<Integer> covered) {
        int total = infos.values().stream().mapToInt(Info::shardsTotal).max().orElse(0);
        Set<Integer> missing = new TreeSet<>();
        for (int s = 0; s < total; s++) {
            if (!covered.contains(s)) {
                missing.add(s);
            }
        }
        return missing;
    }

    private Backend readyBackend() {
        return infos.keySet().stream().findFirst().orElseThrow(() -> ApiException.unavailable("no backend is ready"));
    }

    /** Learns what each backend serves; a backend that does not answer is forgotten until it does. */
    private void refresh() {
        for (Backend b : backends) {
            send(HttpRequest.newBuilder(b.base().resolve("/v1/index"))
                            .timeout(deadline)
                            .GET()
                            .build())
                    .whenComplete((res, error) -> {
                        if (res == null || res.statusCode() != 200) {
                            if (infos.remove(b) != null) {
                                LOG.warn("Backend {} stopped answering", b.hostPort());
                            }
                            return;
                        }
                        JsonNode n = Json.parse(res.body());
                        Set<Integer> shards = new TreeSet<>();
                        n.get("shards_loaded").forEach(s -> shards.add(s.asInt()));
                        Info info = new Info(
                                n.get("generation").asLong(),
                                n.get("shards_total").asInt(),
                                shards,
                                n.get("model").get("dimension").asInt(),
                                n.get("model").get("id").asText());
                        if (infos.put(b, info) == null) {
                            LOG.info(
                                    "Backend {} serves shards {} of generation {}",
                                    b.hostPort(),
                                    shards,
                                    info.generation());
                        }
                    });
        }
    }

    private CompletableFuture<HttpResponse<byte[]>> send(HttpRequest req) {
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).exceptionally(e -> null);
    }

    private HttpResponse<byte[]> call(HttpRequest req) {
        HttpResponse<byte[]> res = send(req).join();
        if (res == null) {
            throw ApiException.unavailable("backend " + req.uri().getAuthority() + " did not answer");
        }
        return res;
    }

    private void awaitDeadline(List<CompletableFuture<HttpResponse<byte[]>>> calls, long start) {
        long left = deadline.toNanos() - (System.nanoTime() - start);
        try {
            CompletableFuture.allOf(calls.toArray(new CompletableFuture[0]))
                    .get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
            // Answer with what arrived; the rest counts as missing.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        } catch (java.util.concurrent.ExecutionException e) {
            // send() never completes exceptionally
        }
    }

    private static String error(HttpResponse<byte[]> res) {
        try {
            JsonNode n = Json.mapper().readTree(res.body());
            return n.has("error") ? n.get("error").asText() : "backend answered " + res.statusCode();
        } catch (java.io.IOException e) {
            return "backend answered " + res.statusCode();
        }
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Request r) {
        return "true".equalsIgnoreCase(r.param("vector")) ? "?vector=true" : "";
    }

    @Override
    public void close() {
        refresher.shutdownNow();
        if (http != null) {
            http.close();
        }
    }
}
