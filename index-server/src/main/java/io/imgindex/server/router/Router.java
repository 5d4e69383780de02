package io.imgindex.server.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.Json;
import io.imgindex.server.http.Request;
import io.imgindex.server.http.Response;
import io.imgindex.server.router.Backends.Backend;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Fan-out and merge: answers the search API by asking one backend per shard and merging their top-k, within the
 * deadline whatever the backends do (a slow or stopped backend's shards are reported in {@code missing_shards}
 * with {@code "partial": true}); items are asked of the backend that holds the id's shard. Stateless apart from the
 * turn that spreads queries over replicas; thread-safe.
 */
final class Router {

    private final Backends backends;
    private final BackendDirectory directory;
    private final AtomicInteger turn = new AtomicInteger();

    Router(Backends backends, BackendDirectory directory) {
        this.backends = backends;
        this.directory = directory;
    }

    /**
     * Asks one backend per shard ({@link ShardPlan}) for its search results and merges them, within the deadline.
     * Only answers of the plan's generation count, each for the shards it was asked for, so replicas never double a
     * hit and one answer never mixes generations; a shard without a counted answer is reported missing.
     */
    Response fanOut(JsonNode body, long start) {
        if (body.has("k") && !body.get("k").canConvertToInt()) {
            throw ApiException.badRequest("k must be an integer");
        }
        int k = body.has("k") ? body.get("k").asInt() : 10;
        byte[] payload = Json.mapper()
                .createObjectNode()
                .setAll((ObjectNode) body)
                .toString()
                .getBytes(StandardCharsets.UTF_8);
        ShardPlan plan = ShardPlan.of(directory.snapshot(), turn.getAndIncrement());
        // Before the first refresh nothing is known: ask every backend, count the newest generation's answers.
        List<Backend> targets = plan.assignments().isEmpty()
                ? directory.all()
                : List.copyOf(plan.assignments().keySet());
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (Backend b : targets) {
            calls.add(backends.send(backends.request(b, "/v1/search")
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(payload))
                    .build()));
        }
        backends.awaitDeadline(calls, start);
        List<JsonNode> answers = new ArrayList<>();
        List<Backend> answering = new ArrayList<>();
        ApiException clientError = null;
        for (int i = 0; i < targets.size(); i++) {
            HttpResponse<byte[]> res = calls.get(i).getNow(null);
            if (res == null) {
                continue;
            }
            if (res.statusCode() >= 400 && res.statusCode() < 500) {
                clientError = new ApiException(res.statusCode(), Backends.error(res));
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
            throw ApiException.unavailable(
                    "no backend answered within " + backends.deadline().toMillis() + " ms");
        }
        results.sort(Comparator.comparingDouble((JsonNode n) -> -n.get("score").asDouble())
                .thenComparingInt(n -> n.get("shard").asInt())
                .thenComparing(n -> n.get("id").asText()));
        Set<Integer> missing = directory.missingFrom(answered);
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

    /** Embeds the image on a backend, then fans the search out. */
    Response searchImage(Request r) {
        long start = System.nanoTime();
        HttpRequest.Builder embed = backends.request(directory.anyReady(), "/v1/embed")
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
        HttpResponse<byte[]> vector = backends.call(embed.build());
        if (vector.statusCode() == 404) {
            throw new ApiException(
                    503, "the shard servers do not embed images for this router: start them with --embed-endpoint");
        }
        if (vector.statusCode() != 200) {
            throw new ApiException(vector.statusCode(), Backends.error(vector));
        }
        search.set("vector", Json.parse(vector.body()).get("vector"));
        return fanOut(search, start);
    }

    /** Fetches the item's vector from its owner, then fans the search out. */
    Response similar(Request r) {
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
    Response forwardToOwner(Request r, String pathAndQuery) {
        Backend owner = directory.owner(r.pathParams().get("id"));
        HttpResponse<byte[]> res =
                backends.call(backends.request(owner, pathAndQuery).GET().build());
        return new Response(res.statusCode(), "application/json", res.body(), Map.of());
    }

    /** {@code GET /v1/items/{id}}, forwarded to the owner. */
    Response item(Request r) {
        return forwardToOwner(r, "/v1/items/" + enc(r.pathParams().get("id")) + query(r));
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

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Request r) {
        return "true".equalsIgnoreCase(r.param("vector")) ? "?vector=true" : "";
    }
}
