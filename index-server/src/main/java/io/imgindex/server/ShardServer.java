package io.imgindex.server;

import io.imgindex.format.GenerationReader;
import io.imgindex.format.S3Settings;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.fetch.FetchOptions;
import io.imgindex.imaging.fetch.ImageFetcher;
import io.imgindex.server.http.AdminEndpoints;
import io.imgindex.server.http.ApiContext;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.HealthEndpoints;
import io.imgindex.server.http.IndexInfoEndpoint;
import io.imgindex.server.http.ItemEndpoints;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.OpenApi;
import io.imgindex.server.http.PageEndpoints;
import io.imgindex.server.http.QueryParser;
import io.imgindex.server.http.Request;
import io.imgindex.server.http.Response;
import io.imgindex.server.http.Routes;
import io.imgindex.server.http.SearchEndpoints;
import io.imgindex.server.load.HadoopObjectStore;
import io.imgindex.server.load.IndexLoader;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.load.SegmentCache;
import io.imgindex.server.load.ServedIndex;
import io.imgindex.server.search.QueryEmbedder;
import io.imgindex.server.search.Searcher;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.hadoop.conf.Configuration;

/**
 * A shard server: serves one index's latest generation (or the shards of it given by {@code --shards}) over
 * HTTP, assembled from {@link ServeOptions}. Owns everything it starts; {@link #close()} stops it all.
 */
public final class ShardServer implements AutoCloseable {

    /** How long a query image waits for others to share a model call with. */
    private static final Duration QUERY_BATCH_WAIT = Duration.ofMillis(5);

    private final HttpServer http;
    private final ServedIndex served;
    private final QueryEmbedder embedder;
    private final ExecutorService shardPool;

    private ShardServer(HttpServer http, ServedIndex served, QueryEmbedder embedder, ExecutorService shardPool) {
        this.http = http;
        this.served = served;
        this.embedder = embedder;
        this.shardPool = shardPool;
    }

    /**
     * Starts serving: binds at once (answering {@code /healthz}, and 503 elsewhere), and loads the latest
     * generation in the background.
     *
     * @throws IllegalArgumentException naming a bad option
     */
    public static ShardServer start(ServerConfig config) throws Exception {
        if (config.role() != ServerConfig.Role.SHARD) {
            throw new IllegalArgumentException("a shard server needs a shard server's configuration, not a router's");
        }
        ServerConfig.Index source = config.index();
        ServerConfig.Loading loading = config.loading();
        ServerConfig.Search search = config.search();
        Configuration hadoop = S3Settings.hadoopConf(source.storeSettings());
        GenerationReader reader = GenerationReader.open(source.location(), source.name(), hadoop);
        ModelStore store = new ModelStore(source.modelCache());
        FetchOptions fetch = FetchOptions.builder()
                .allowPrivateNetworks(config.fetch().allowPrivateNetworks())
                .allowedNetworks(config.fetch().allowedNetworks())
                .maxBytes(config.fetch().maxBytes())
                .totalTimeout(config.fetch().totalTimeout())
                .build();
        QueryEmbedder embedder = new QueryEmbedder(
                store,
                new ImageFetcher(fetch, new HadoopObjectStore(hadoop)),
                config.decode(),
                QUERY_BATCH_WAIT,
                search.urlSchemes());
        Metrics metrics = new Metrics();
        SegmentCache cache = new SegmentCache(loading.cacheDir(), loading.cacheBytes());
        IndexLoader loader = new IndexLoader(
                reader,
                source.shards().isEmpty() ? null : source.shards(),
                loading.threads(),
                search.hnsw(),
                embedder::card,
                cache,
                loading.graphWalk());
        ServedIndex served = new ServedIndex(
                loader,
                loading.watchInterval(),
                new ServedIndex.Listener() {
                    @Override
                    public void loaded(LoadedIndex index, Duration took) {
                        metrics.loaded(
                                index.generation(),
                                index.vectors(),
                                took.toMillis() / 1000.0,
                                index.stats().loadedAt().getEpochSecond());
                        embedder.warm(index.model().id());
                    }

                    @Override
                    public void failed(long generation, Exception error) {
                        metrics.loadFailed();
                    }
                },
                loading.keepLoaded());
        ExecutorService shardPool =
                Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
                    Thread t = new Thread(r, "imgindex-shard-search");
                    t.setDaemon(true);
                    return t;
                });
        ApiContext ctx = new ApiContext(
                served,
                new Searcher(shardPool),
                embedder,
                metrics,
                new QueryParser(search.maxK(), search.defaultMode(), search.efSearch()),
                search.hnsw(),
                config.admin().tokenSha256());
        HttpServer http = HttpServer.start(
                config.listen().host(),
                config.listen().port(),
                routes(ctx, search.embedEndpoint()),
                metrics,
                config.http(),
                config.listen().cors());
        served.start();
        return new ShardServer(http, served, embedder, shardPool);
    }

    static Routes routes(ApiContext ctx, boolean embedEndpoint) {
        SearchEndpoints search = new SearchEndpoints(ctx);
        ItemEndpoints items = new ItemEndpoints(ctx);
        HealthEndpoints health = new HealthEndpoints(ctx);
        return new Routes()
                .add("POST", "/v1/search", "search", search::byVector)
                .add("POST", "/v1/search/batch", "search_batch", search::batch)
                .add("POST", "/v1/search/image", "search_image", search::byImage)
                .add("POST", "/v1/embed", "embed", embedEndpoint ? search::embed : ShardServer::embedOff)
                .add("GET", "/v1/items", "items", items::browse)
                .add("POST", "/v1/items", "items_get", items::getMany)
                .add("GET", "/v1/items/{id}", "item", items::get)
                .add("GET", "/v1/items/{id}/similar", "similar", search::similar)
                .add("GET", "/v1/items/{id}/thumbnail", "thumbnail", items::thumbnail)
                .add("GET", "/v1/index", "index", new IndexInfoEndpoint(ctx)::get)
                .addImmediate("GET", "/", "page", PageEndpoints::index)
                .addImmediate("GET", "/page/{file}", "page_asset", PageEndpoints::asset)
                .addImmediate("GET", "/openapi.yaml", "openapi", OpenApi::serve)
                .addImmediate("GET", "/healthz", "healthz", health::alive)
                .addImmediate("GET", "/readyz", "readyz", health::ready)
                .addImmediate(
                        "GET",
                        "/metrics",
                        "metrics",
                        r -> Response.text(
                                200,
                                "text/plain; version=0.0.4; charset=utf-8",
                                ctx.metrics().render()))
                .add("POST", "/admin/generation", "admin_generation", new AdminEndpoints(ctx)::switchGeneration);
    }

    private static Response embedOff(Request r) {
        throw ApiException.notFound(
                "POST /v1/embed is off on this server: start it with --embed-endpoint (a router's shard servers need it)");
    }

    public HttpServer http() {
        return http;
    }

    public ServedIndex served() {
        return served;
    }

    @Override
    public void close() {
        http.close();
        served.close();
        embedder.close();
        shardPool.shutdownNow();
    }
}
