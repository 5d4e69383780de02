package io.imgindex.server.router;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.BrowseCursor;
import io.imgindex.server.http.ItemEndpoints;
import io.imgindex.server.http.Json;
import io.imgindex.server.http.QueryParser;
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
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

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
     * hit and one answer never mixes generations; a shard without a counted answer is reported missing. A page
     * ({@code offset}) is cut from the merged results: each backend is asked for {@code offset + k}.
     */
    Response fanOut(JsonNode body, long start) {
        Page page = Page.of(body, "");
        Gathered g = gather("/v1/search", page.forBackends((ObjectNode) body.deepCopy()), start);
        List<JsonNode> results = merge(g, answer -> answer.get("results"));
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", g.generation());
        out.put("took_ms", Math.round((System.nanoTime() - start) / 1e3) / 1e3);
        out.put("mode", g.answers().get(0).get("mode").asText());
        putCoverage(out, g);
        out.put("results", page.cut(results));
        return Response.json(out);
    }

    /** {@code POST /v1/search/batch}: the whole batch to each backend once, merged query by query. */
    Response batch(Request r) {
        long start = System.nanoTime();
        JsonNode body = Json.parse(r.body(), QueryParser.MAX_BATCH);
        JsonNode queries = body.get("queries");
        if (queries == null || !queries.isArray() || queries.isEmpty() || queries.size() > QueryParser.MAX_BATCH) {
            throw ApiException.badRequest("'queries' is required: an array of at most " + QueryParser.MAX_BATCH
                    + " search bodies (as for /v1/search)");
        }
        List<Page> pages = new ArrayList<>();
        ArrayNode forBackends = Json.mapper().createArrayNode();
        for (int i = 0; i < queries.size(); i++) {
            if (!queries.get(i).isObject()) {
                throw ApiException.badRequest("queries[" + i + "] must be an object");
            }
            Page page = Page.of(queries.get(i), "queries[" + i + "]: ");
            pages.add(page);
            forBackends.add(page.forBackends((ObjectNode) queries.get(i).deepCopy()));
        }
        ObjectNode payload = Json.mapper().createObjectNode();
        payload.set("queries", forBackends);
        Gathered g = gather("/v1/search/batch", payload, start);
        List<Map<String, Object>> responses = new ArrayList<>();
        for (int i = 0; i < pages.size(); i++) {
            final int q = i;
            Map<String, Object> one = new LinkedHashMap<>();
            one.put(
                    "mode",
                    g.answers().get(0).get("responses").get(q).get("mode").asText());
            one.put("results", pages.get(q).cut(merge(g, answer -> answer.get("responses")
                    .get(q)
                    .get("results"))));
            responses.add(one);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", g.generation());
        out.put("took_ms", Math.round((System.nanoTime() - start) / 1e3) / 1e3);
        putCoverage(out, g);
        out.put("responses", responses);
        return Response.json(out);
    }

    /** The page a query asks for: {@code k} results after {@code offset}. */
    private record Page(int k, int offset) {

        static Page of(JsonNode query, String where) {
            for (String f : List.of("k", "offset")) {
                if (query.has(f) && !query.get(f).isNull() && !query.get(f).canConvertToInt()) {
                    throw ApiException.badRequest(where + f + " must be an integer");
                }
            }
            int k = query.hasNonNull("k") ? query.get("k").asInt() : 10;
            int offset = query.hasNonNull("offset") ? query.get("offset").asInt() : 0;
            if (offset < 0 || offset > QueryParser.MAX_OFFSET) {
                throw ApiException.badRequest(where + "offset must be within 0.." + QueryParser.MAX_OFFSET);
            }
            return new Page(k, offset);
        }

        /** The query for a backend: the first {@code offset + k} results, the page is cut here. */
        ObjectNode forBackends(ObjectNode query) {
            if (offset > 0) {
                query.put("k", offset + k);
                query.remove("offset");
            }
            return query;
        }

        List<JsonNode> cut(List<JsonNode> merged) {
            return merged.subList(Math.min(offset, merged.size()), Math.min(offset + k, merged.size()));
        }
    }

    /**
     * The answers of one fan-out: the generation they count for, each counted answer with the backend that gave
     * it, and the shards answered.
     */
    private record Gathered(
            ShardPlan plan, long generation, List<JsonNode> answers, List<Backend> answering, Set<Integer> answered) {}

    /** Sends one request to one backend per shard and keeps the answers that count, within the deadline. */
    private Gathered gather(String path, JsonNode payloadJson, long start) {
        byte[] payload = payloadJson.toString().getBytes(StandardCharsets.UTF_8);
        ShardPlan plan = ShardPlan.of(directory.snapshot(), turn.getAndIncrement());
        // Before the first refresh nothing is known: ask every backend, count the newest generation's answers.
        List<Backend> targets = plan.assignments().isEmpty()
                ? directory.all()
                : List.copyOf(plan.assignments().keySet());
        List<CompletableFuture<HttpResponse<byte[]>>> calls = new ArrayList<>();
        for (Backend b : targets) {
            calls.add(backends.send(backends.request(b, path)
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
        List<JsonNode> counted = new ArrayList<>();
        List<Backend> countedBackends = new ArrayList<>();
        Set<Integer> answered = new TreeSet<>();
        for (int i = 0; i < answers.size(); i++) {
            if (answers.get(i).get("generation").asLong() == generation) {
                // An answer of another generation switched since the plan: its shards count as missing this time.
                counted.add(answers.get(i));
                countedBackends.add(answering.get(i));
                answers.get(i).get("shards").forEach(sh -> answered.add(sh.asInt()));
            }
        }
        if (counted.isEmpty()) {
            throw ApiException.unavailable(
                    "no backend answered within " + backends.deadline().toMillis() + " ms");
        }
        return new Gathered(plan, generation, counted, countedBackends, answered);
    }

    /**
     * One query's results from every counted answer, each hit once and only from a shard its backend was asked
     * for, best first (ties by shard, then id).
     */
    private static List<JsonNode> merge(Gathered g, Function<JsonNode, JsonNode> resultsOf) {
        List<JsonNode> results = new ArrayList<>();
        Set<Integer> taken = new TreeSet<>();
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < g.answers().size(); i++) {
            JsonNode r = g.answers().get(i);
            Set<Integer> mine = new TreeSet<>();
            r.get("shards").forEach(s -> mine.add(s.asInt()));
            Set<Integer> asked = g.plan().assignments().get(g.answering().get(i));
            if (asked != null) {
                mine.retainAll(asked);
            }
            mine.removeAll(taken);
            for (JsonNode hit : resultsOf.apply(r)) {
                if (mine.contains(hit.get("shard").asInt())
                        && seen.add(hit.get("id").asText())) {
                    results.add(hit);
                }
            }
            taken.addAll(mine);
        }
        results.sort(Comparator.comparingDouble((JsonNode n) -> -n.get("score").asDouble())
                .thenComparingInt(n -> n.get("shard").asInt())
                .thenComparing(n -> n.get("id").asText()));
        return results;
    }

    private void putCoverage(Map<String, Object> out, Gathered g) {
        Set<Integer> missing = directory.missingFrom(g.answered());
        out.put("partial", !missing.isEmpty());
        out.put("missing_shards", missing);
        out.put("shards", g.answered());
    }

    /**
     * {@code GET /v1/items?filter=&limit=&cursor=&fields=}: shard by shard, each asked of the backend that serves
     * it in the current generation, until the page is full; the cursor is the shard servers' own (generation,
     * shard, row), so any backend of that generation can go on from it.
     */
    Response browse(Request r) {
        int limit = ItemEndpoints.browseLimit(r);
        ShardPlan plan = ShardPlan.of(directory.snapshot(), turn.getAndIncrement());
        Map<Integer, Backend> servedBy = new TreeMap<>();
        plan.assignments().forEach((b, shards) -> shards.forEach(s -> servedBy.put(s, b)));
        if (!plan.uncovered().isEmpty() || servedBy.isEmpty()) {
            throw ApiException.unavailable(
                    "shards not served by any backend: " + plan.uncovered() + " (browsing needs every shard)");
        }
        BrowseCursor at = BrowseCursor.of(
                r.param("cursor"),
                plan.generation(),
                servedBy.keySet().iterator().next());
        List<JsonNode> items = new ArrayList<>();
        String next = null;
        for (Map.Entry<Integer, Backend> e : servedBy.entrySet()) {
            int shard = e.getKey();
            if (shard < at.shard()) {
                continue;
            }
            if (items.size() == limit) {
                next = new BrowseCursor(plan.generation(), shard, 0).token();
                break;
            }
            StringBuilder q = new StringBuilder("/v1/items?shard=")
                    .append(shard)
                    .append("&limit=")
                    .append(limit - items.size());
            if (shard == at.shard() && at.ord() > 0) {
                q.append("&cursor=").append(enc(at.token()));
            }
            for (String name : List.of("filter", "fields")) {
                if (r.param(name) != null) {
                    q.append('&').append(name).append('=').append(enc(r.param(name)));
                }
            }
            HttpResponse<byte[]> res = backends.call(
                    backends.request(e.getValue(), q.toString()).GET().build());
            if (res.statusCode() != 200) {
                throw new ApiException(res.statusCode(), Backends.error(res));
            }
            JsonNode page = Json.parse(res.body());
            if (page.get("generation").asLong() != plan.generation()) {
                throw ApiException.unavailable("the backends are switching generations: try again");
            }
            page.get("items").forEach(items::add);
            if (!page.get("next_cursor").isNull()) {
                next = page.get("next_cursor").asText();
                break;
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", plan.generation());
        out.put("items", items);
        out.put("next_cursor", next);
        return Response.json(out);
    }

    /** Asks one backend for items by id; adds what it found; returns its generation. */
    private long askItems(Backend b, ArrayNode ids, JsonNode fields, Map<String, JsonNode> found) {
        ObjectNode part = Json.mapper().createObjectNode();
        part.set("ids", ids);
        if (fields != null) {
            part.set("fields", fields);
        }
        HttpResponse<byte[]> res = backends.call(backends.request(b, "/v1/items")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(part.toString()))
                .build());
        if (res.statusCode() != 200) {
            throw new ApiException(res.statusCode(), Backends.error(res));
        }
        JsonNode answer = Json.parse(res.body());
        answer.get("items").forEach(item -> found.putIfAbsent(item.get("id").asText(), item));
        return answer.get("generation").asLong();
    }

    /**
     * {@code POST /v1/items}: the ids grouped by the backend serving their shard, answered in the order asked; ids
     * their owner does not know are asked of the other backends (a duplicate is recorded with its item).
     */
    Response items(Request r) {
        JsonNode body = Json.parse(r.body(), ItemEndpoints.MAX_IDS);
        JsonNode ids = body.get("ids");
        if (ids == null || !ids.isArray() || ids.isEmpty() || ids.size() > ItemEndpoints.MAX_IDS) {
            throw ApiException.badRequest(
                    "'ids' is required: an array of at most " + ItemEndpoints.MAX_IDS + " item ids");
        }
        Map<Backend, ArrayNode> byOwner = new LinkedHashMap<>();
        for (JsonNode id : ids) {
            if (!id.isTextual()) {
                throw ApiException.badRequest("ids must be strings, was " + id);
            }
            byOwner.computeIfAbsent(
                            directory.owner(id.asText()), b -> Json.mapper().createArrayNode())
                    .add(id);
        }
        Map<String, JsonNode> found = new LinkedHashMap<>();
        long generation = -1;
        for (Map.Entry<Backend, ArrayNode> e : byOwner.entrySet()) {
            generation = Math.max(generation, askItems(e.getKey(), e.getValue(), body.get("fields"), found));
        }
        // Ids their owner does not know may be duplicates, recorded with the item they duplicate: ask the others.
        ArrayNode notFound = Json.mapper().createArrayNode();
        ids.forEach(id -> {
            if (!found.containsKey(id.asText())) {
                notFound.add(id);
            }
        });
        if (!notFound.isEmpty()) {
            for (Backend b : directory.snapshot().keySet()) {
                generation = Math.max(generation, askItems(b, notFound, body.get("fields"), found));
            }
        }
        List<String> missing = new ArrayList<>();
        ids.forEach(id -> {
            if (!found.containsKey(id.asText())) {
                missing.add(id.asText());
            }
        });
        List<JsonNode> ordered = new ArrayList<>();
        for (JsonNode id : ids) {
            JsonNode item = found.get(id.asText());
            if (item != null) {
                ordered.add(item);
            }
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", generation);
        out.put("items", ordered);
        out.put("missing", missing);
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
            search.setAll(QueryParser.searchFields(r));
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
        search.setAll(QueryParser.searchFields(r));
        search.set("vector", vector);
        search.put("exclude_id", id);
        return fanOut(search, start);
    }

    /** Forwards a GET to the backend serving the id's shard. */
    Response forwardToOwner(Request r, String pathAndQuery) {
        HttpResponse<byte[]> res = askOwnerThenOthers(
                r.pathParams().get("id"), b -> backends.request(b, pathAndQuery).GET());
        return new Response(res.statusCode(), "application/json", res.body(), Map.of());
    }

    /**
     * Asks the backend serving the id's shard; when it does not know the id (404), the others in turn. An indexed
     * item lives in its own id's shard, but a duplicate is recorded with the item it duplicates, usually in another
     * shard.
     */
    private HttpResponse<byte[]> askOwnerThenOthers(String id, Function<Backend, HttpRequest.Builder> ask) {
        Backend owner = directory.owner(id);
        HttpResponse<byte[]> first = backends.call(ask.apply(owner).build());
        if (first.statusCode() != 404) {
            return first;
        }
        for (Backend other : directory.snapshot().keySet()) {
            if (!other.equals(owner)) {
                HttpResponse<byte[]> res = backends.call(ask.apply(other).build());
                if (res.statusCode() != 404) {
                    return res;
                }
            }
        }
        return first;
    }

    /**
     * {@code GET /v1/items/{id}/thumbnail}, forwarded to the owner as it is: the JPEG (or its error) with its
     * validators, and a client's {@code If-None-Match} passed on, so a 304 comes through.
     */
    Response thumbnail(Request r) {
        String id = r.pathParams().get("id");
        HttpRequest.Builder ask = backends.request(directory.owner(id), "/v1/items/" + enc(id) + "/thumbnail")
                .GET();
        if (r.header("if-none-match") != null) {
            ask.header("If-None-Match", r.header("if-none-match"));
        }
        HttpResponse<byte[]> res = backends.call(ask.build());
        Map<String, String> headers = new LinkedHashMap<>();
        for (String h : List.of("ETag", "Cache-Control")) {
            res.headers().firstValue(h).ifPresent(v -> headers.put(h, v));
        }
        return new Response(
                res.statusCode(),
                res.headers().firstValue("Content-Type").orElse("application/octet-stream"),
                res.body(),
                headers);
    }

    /** {@code GET /v1/items/{id}}, forwarded to the owner. */
    Response item(Request r) {
        return forwardToOwner(r, "/v1/items/" + enc(r.pathParams().get("id")) + query(r));
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private static String query(Request r) {
        return "true".equalsIgnoreCase(r.param("vector")) ? "?vector=true" : "";
    }
}
