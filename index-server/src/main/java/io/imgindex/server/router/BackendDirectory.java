package io.imgindex.server.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.ShardAssignment;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.Json;
import io.imgindex.server.router.Backends.Backend;
import io.imgindex.server.router.Backends.Info;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Which backend serves which shards of which generation, learnt from their {@code /v1/index} every few seconds; a
 * backend that does not answer is forgotten until it does. Thread-safe.
 */
final class BackendDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BackendDirectory.class);

    private static final long REFRESH_SECONDS = 2;

    private final List<Backend> backends;
    private final Backends calls;
    private final Map<Backend, Info> infos = new ConcurrentHashMap<>();
    private final ScheduledExecutorService refresher;

    BackendDirectory(List<Backend> backends, Backends calls) {
        this.backends = List.copyOf(backends);
        this.calls = calls;
        this.refresher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imgindex-router-refresh");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts asking the backends, now and every few seconds. */
    void start() {
        refresher.scheduleWithFixedDelay(this::refresh, 0, REFRESH_SECONDS, TimeUnit.SECONDS);
    }

    /** Every backend, answering or not. */
    List<Backend> all() {
        return backends;
    }

    /** What each answering backend serves, now. */
    Map<Backend, Info> snapshot() {
        return Map.copyOf(infos);
    }

    /** Whether some backend answers and every shard is served. */
    boolean ready() {
        return !infos.isEmpty() && missing().isEmpty();
    }

    /** Shards no answering backend serves. */
    Set<Integer> missing() {
        Set<Integer> covered = new TreeSet<>();
        infos.values().forEach(i -> covered.addAll(i.shards()));
        return missingFrom(covered);
    }

    /** The shards of the index not in {@code covered}. */
    Set<Integer> missingFrom(Set<Integer> covered) {
        int total = infos.values().stream().mapToInt(Info::shardsTotal).max().orElse(0);
        Set<Integer> missing = new TreeSet<>();
        for (int s = 0; s < total; s++) {
            if (!covered.contains(s)) {
                missing.add(s);
            }
        }
        return missing;
    }

    /** Some answering backend. */
    Backend anyReady() {
        return infos.keySet().stream().findFirst().orElseThrow(() -> ApiException.unavailable("no backend is ready"));
    }

    /** The backend serving the shard of {@code id}. */
    Backend owner(String id) {
        Info any =
                infos.values().stream().findFirst().orElseThrow(() -> ApiException.unavailable("no backend is ready"));
        int shard = ShardAssignment.shardOf(id, any.shardsTotal());
        return infos.entrySet().stream()
                .filter(e -> e.getValue().shards().contains(shard))
                .map(Map.Entry::getKey)
                .findFirst()
                .orElseThrow(() -> ApiException.unavailable(
                        "shard " + shard + " of '" + id + "' is not served by any backend right now"));
    }

    /**
     * The router's {@code /v1/index}: the index as its backends serve it (name, model, shards, vectors, and the
     * generation's counts and metadata columns, where the answering backends serve one generation; each generation
     * where they do not, during a roll-out), then each backend and what it serves.
     */
    Map<String, Object> describe() {
        Map<Backend, Info> now = snapshot();
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("router", true);
        SortedSet<Long> generations = new TreeSet<>();
        now.values().forEach(i -> generations.add(i.generation()));
        Info newest = generations.isEmpty()
                ? null
                : now.values().stream()
                        .filter(i -> i.answer() != null && i.generation() == generations.last())
                        .findFirst()
                        .orElse(null);
        if (newest != null) {
            JsonNode a = newest.answer();
            out.put("name", a.path("name").asText(null));
            if (generations.size() == 1) {
                out.put("generation", newest.generation());
            } else {
                out.put("generations", generations);
            }
            out.put("format_version", a.path("format_version").asInt());
            out.put("model", a.get("model"));
            out.put("shards_total", newest.shardsTotal());
            Map<Integer, Long> byShard = vectorsByShard(now);
            out.put("shards_loaded", byShard.keySet());
            out.put(
                    "vectors",
                    byShard.values().stream().mapToLong(Long::longValue).sum());
            out.put("vectors_by_shard", byShard);
            out.put("counts", a.get("counts"));
            out.put("metadata_columns", a.get("metadata_columns"));
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (Backend b : backends) {
            Info i = now.get(b);
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
        out.put("backends", list);
        out.put("missing_shards", missing());
        return out;
    }

    /**
     * Each served shard's rows, as the backend serving the newest generation of it says: a shard served by two
     * replicas counts once.
     */
    private static Map<Integer, Long> vectorsByShard(Map<Backend, Info> infos) {
        Map<Integer, Long> rows = new TreeMap<>();
        Map<Integer, Long> generationOf = new TreeMap<>();
        for (Info i : infos.values()) {
            JsonNode byShard = i.answer() == null ? null : i.answer().get("vectors_by_shard");
            for (int shard : i.shards()) {
                Long seen = generationOf.get(shard);
                if (seen == null || i.generation() > seen) {
                    generationOf.put(shard, i.generation());
                    rows.put(
                            shard,
                            byShard == null
                                    ? 0L
                                    : byShard.path(Integer.toString(shard)).asLong());
                }
            }
        }
        return rows;
    }

    private void refresh() {
        for (Backend b : backends) {
            calls.send(calls.request(b, "/v1/index").GET().build()).whenComplete((res, error) -> {
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
                        n.get("model").get("id").asText(),
                        n);
                if (infos.put(b, info) == null) {
                    LOG.info("Backend {} serves shards {} of generation {}", b.hostPort(), shards, info.generation());
                }
            });
        }
    }

    @Override
    public void close() {
        refresher.shutdownNow();
    }
}
