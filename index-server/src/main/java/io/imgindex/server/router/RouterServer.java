package io.imgindex.server.router;

import io.imgindex.server.HttpServer;
import io.imgindex.server.ServerConfig;
import io.imgindex.server.http.Json;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.OpenApi;
import io.imgindex.server.http.PageEndpoints;
import io.imgindex.server.http.Response;
import io.imgindex.server.http.Routes;
import java.util.Map;

/**
 * A router process: the same search API as a shard server, on the same HTTP bootstrap, answered by a {@link Router}
 * over the backends a {@link BackendDirectory} keeps track of ({@code --backends}).
 */
public final class RouterServer implements AutoCloseable {

    private final BackendDirectory directory;
    private final Router router;
    private final Metrics metrics = new Metrics();
    private HttpServer http;

    RouterServer(BackendDirectory directory, Router router) {
        this.directory = directory;
        this.router = router;
    }

    /** Starts a router. */
    public static RouterServer start(ServerConfig config) throws Exception {
        if (config.role() != ServerConfig.Role.ROUTER) {
            throw new IllegalArgumentException("a router needs a router's configuration, not a shard server's");
        }
        Backends backends = new Backends(config.router().deadline());
        BackendDirectory directory = new BackendDirectory(
                config.router().backends().stream().map(Backends.Backend::of).toList(), backends);
        RouterServer server = new RouterServer(directory, new Router(backends, directory));
        directory.start();
        server.http = HttpServer.start(
                config.listen().host(),
                config.listen().port(),
                server.routes(),
                server.metrics,
                config.http(),
                config.listen().cors());
        return server;
    }

    public HttpServer http() {
        return http;
    }

    Routes routes() {
        return new Routes()
                .add("POST", "/v1/search", "search", r -> router.fanOut(Json.parse(r.body()), System.nanoTime()))
                .add("POST", "/v1/search/batch", "search_batch", router::batch)
                .add("POST", "/v1/search/image", "search_image", router::searchImage)
                .add("GET", "/v1/items", "items", router::browse)
                .add("POST", "/v1/items", "items_get", router::items)
                .add("GET", "/v1/items/{id}", "item", router::item)
                .add("GET", "/v1/items/{id}/similar", "similar", router::similar)
                .add("GET", "/v1/items/{id}/thumbnail", "thumbnail", router::thumbnail)
                .add("GET", "/v1/index", "index", r -> Response.json(directory.describe()))
                .addImmediate("GET", "/", "page", PageEndpoints::index)
                .addImmediate("GET", "/page/{file}", "page_asset", PageEndpoints::asset)
                .addImmediate("GET", "/openapi.yaml", "openapi", OpenApi::serve)
                .addImmediate("GET", "/healthz", "healthz", r -> Response.json(Map.of("status", "alive")))
                .addImmediate(
                        "GET",
                        "/readyz",
                        "readyz",
                        r -> directory.ready()
                                ? Response.json(Map.of("status", "ready"))
                                : Response.error(503, "shards not served by any backend: " + directory.missing()))
                .addImmediate(
                        "GET",
                        "/metrics",
                        "metrics",
                        r -> Response.text(200, "text/plain; version=0.0.4; charset=utf-8", metrics.render()));
    }

    @Override
    public void close() {
        directory.close();
        if (http != null) {
            http.close();
        }
    }
}
