package io.imgindex.server.router;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Calls to the shard servers: one HTTP client, every call bounded by the router's deadline. Thread-safe. */
final class Backends {

    /** A shard server, by {@code host:port}. */
    record Backend(String hostPort, URI base) {

        static Backend of(String hostPort) {
            return new Backend(hostPort, URI.create("http://" + hostPort));
        }
    }

    /**
     * What a backend said about itself last ({@code /v1/index}).
     *
     * @param answer its whole answer (name, counts, metadata columns, vectors by shard...), or null where not kept
     */
    record Info(long generation, int shardsTotal, Set<Integer> shards, int dimension, String model, JsonNode answer) {

        Info(long generation, int shardsTotal, Set<Integer> shards, int dimension, String model) {
            this(generation, shardsTotal, shards, dimension, model, null);
        }
    }

    private final HttpClient client;
    private final Duration deadline;

    Backends(Duration deadline) {
        this.deadline = deadline;
        this.client = HttpClient.newBuilder()
                .connectTimeout(deadline)
                .version(HttpClient.Version.HTTP_1_1)
                .build();
    }

    Duration deadline() {
        return deadline;
    }

    /** A request to a backend, with the deadline as its timeout. */
    HttpRequest.Builder request(Backend b, String pathAndQuery) {
        return HttpRequest.newBuilder(b.base().resolve(pathAndQuery)).timeout(deadline);
    }

    /** Sends; completes with null when the backend does not answer (never exceptionally). */
    CompletableFuture<HttpResponse<byte[]>> send(HttpRequest req) {
        return client.sendAsync(req, HttpResponse.BodyHandlers.ofByteArray()).exceptionally(e -> null);
    }

    /** Sends and waits; a backend that does not answer is a 503. */
    HttpResponse<byte[]> call(HttpRequest req) {
        HttpResponse<byte[]> res = send(req).join();
        if (res == null) {
            throw ApiException.unavailable("backend " + req.uri().getAuthority() + " did not answer");
        }
        return res;
    }

    /** Waits for the calls until the deadline counted from {@code start}; what has not arrived by then is left. */
    void awaitDeadline(List<CompletableFuture<HttpResponse<byte[]>>> calls, long start) {
        long left = deadline.toNanos() - (System.nanoTime() - start);
        try {
            CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0]))
                    .get(Math.max(0, left), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            // Answer with what arrived; the rest counts as missing.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiException.unavailable("interrupted");
        } catch (ExecutionException e) {
            // send() never completes exceptionally
        }
    }

    /** A backend's error message, or its status. */
    static String error(HttpResponse<byte[]> res) {
        try {
            JsonNode n = Json.mapper().readTree(res.body());
            return n.has("error") ? n.get("error").asText() : "backend answered " + res.statusCode();
        } catch (IOException e) {
            return "backend answered " + res.statusCode();
        }
    }
}
