package io.imgindex.server;

import io.imgindex.flags.Option;
import io.imgindex.flags.Settings;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.S3Settings;
import io.imgindex.format.Sha256;
import io.imgindex.imaging.decode.DecodeLimitOptions;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.fetch.FetchOptions;
import io.imgindex.imaging.fetch.ImageFetcher;
import io.imgindex.server.http.AdminHandler;
import io.imgindex.server.http.ApiContext;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.HealthHandler;
import io.imgindex.server.http.IndexInfoHandler;
import io.imgindex.server.http.ItemsHandler;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.QueryParser;
import io.imgindex.server.http.Request;
import io.imgindex.server.http.Response;
import io.imgindex.server.http.Routes;
import io.imgindex.server.http.SearchHandler;
import io.imgindex.server.load.HadoopObjectStore;
import io.imgindex.server.load.IndexLoader;
import io.imgindex.server.load.LoadedIndex;
import io.imgindex.server.load.SegmentCache;
import io.imgindex.server.load.ServedIndex;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.QueryEmbedder;
import io.imgindex.server.search.Searcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A shard server: serves one index's latest generation (or the shards of it given by {@code --shards}) over
 * HTTP, assembled from {@link ServeOptions}. Owns everything it starts; {@link #close()} stops it all.
 */
public final class ShardServer implements AutoCloseable {

    private final IndexServer http;
    private final ServedIndex served;
    private final QueryEmbedder embedder;
    private final ExecutorService shardPool;

    private ShardServer(IndexServer http, ServedIndex served, QueryEmbedder embedder, ExecutorService shardPool) {
        this.http = http;
        this.served = served;
        this.embedder = embedder;
        this.shardPool = shardPool;
    }

    /**
     * Starts serving: binds at once (answering {@code /healthz}, and 503 elsewhere), and loads the latest
     * generation in the background.
     *
     * @param settings {@code --conf} pairs: S3A settings
     * @param adminToken the admin token, or null to turn admin endpoints off
     * @throws IllegalArgumentException naming a bad option
     */
    /** The segment cache folder: {@code --cache-dir}, else {@code $IMGINDEX_CACHE_DIR}, else the user's cache. */
    static java.nio.file.Path cacheDir(Settings o) {
        return o.getOptional(ServeOptions.CACHE_DIR)
                .or(() ->
                        Optional.ofNullable(System.getenv("IMGINDEX_CACHE_DIR")).filter(d -> !d.isBlank()))
                .map(Paths::get)
                .orElseGet(() -> Paths.get(System.getProperty("user.home"), ".cache", "imgindex", "segments"));
    }

    public static ShardServer start(Settings o, Map<String, String> settings, String adminToken) throws Exception {
        org.apache.hadoop.conf.Configuration hadoop = S3Settings.hadoopConf(settings);
        GenerationReader reader = GenerationReader.open(o.get(ServeOptions.INDEX), o.get(ServeOptions.NAME), hadoop);
        ModelStore store = new ModelStore(
                o.getOptional(ServeOptions.MODEL_CACHE).map(Paths::get).orElseGet(ModelStore::defaultCache));
        FetchOptions fetch = FetchOptions.builder()
                .allowPrivateNetworks(o.get(ServeOptions.ALLOW_PRIVATE_NETWORKS))
                .allowedNetworks(o.get(ServeOptions.ALLOW_NETWORK))
                .maxBytes(o.get(ServeOptions.MAX_BODY).getBytes())
                .totalTimeout(Duration.ofSeconds(20))
                .build();
        QueryEmbedder embedder = new QueryEmbedder(
                store,
                new ImageFetcher(fetch, new HadoopObjectStore(hadoop)),
                DecodeLimitOptions.limits(o),
                Duration.ofMillis(5),
                o.get(ServeOptions.URL_SCHEMES));
        HnswParams hnsw = o.get(ServeOptions.HNSW)
                ? new HnswParams(
                        o.get(ServeOptions.HNSW_M),
                        o.get(ServeOptions.HNSW_EF_CONSTRUCTION),
                        o.get(ServeOptions.HNSW_EF_SEARCH),
                        1.2f,
                        1.2f)
                : null;
        Searcher.Mode mode =
                switch (o.get(ServeOptions.SEARCH_MODE).toLowerCase(Locale.ROOT)) {
                    case "approximate" -> hnsw == null ? Searcher.Mode.EXACT : Searcher.Mode.APPROXIMATE;
                    case "exact" -> Searcher.Mode.EXACT;
                    default -> throw new IllegalArgumentException("--search.mode must be approximate or exact, was '"
                            + o.get(ServeOptions.SEARCH_MODE) + "'");
                };
        int loadThreads = positive(o, ServeOptions.LOAD_THREADS);
        Metrics metrics = new Metrics();
        SegmentCache cache =
                new SegmentCache(cacheDir(o), o.get(ServeOptions.CACHE_SIZE).getBytes());
        IndexLoader loader = new IndexLoader(
                reader, shards(o), loadThreads, hnsw, embedder::card, cache, o.get(ServeOptions.GRAPH_WALK));
        ServedIndex served = new ServedIndex(
                loader,
                o.get(ServeOptions.WATCH_INTERVAL),
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
                positive(o, ServeOptions.KEEP_LOADED));
        ExecutorService shardPool =
                Executors.newFixedThreadPool(Runtime.getRuntime().availableProcessors(), r -> {
                    Thread t = new Thread(r, "imgindex-shard-search");
                    t.setDaemon(true);
                    return t;
                });
        byte[] token = adminToken == null || adminToken.isBlank()
                ? null
                : Sha256.newDigest().digest(adminToken.getBytes(StandardCharsets.UTF_8));
        ApiContext ctx = new ApiContext(
                served,
                new Searcher(shardPool),
                embedder,
                metrics,
                new QueryParser(positive(o, ServeOptions.MAX_K), mode, o.get(ServeOptions.HNSW_EF_SEARCH)),
                hnsw,
                token);
        IndexServer http = IndexServer.start(
                o.get(ServeOptions.HOST),
                o.get(ServeOptions.PORT),
                routes(ctx, o.get(ServeOptions.EMBED_ENDPOINT)),
                metrics,
                IndexServer.Limits.from(o));
        served.start();
        return new ShardServer(http, served, embedder, shardPool);
    }

    static Routes routes(ApiContext ctx, boolean embedEndpoint) {
        SearchHandler search = new SearchHandler(ctx);
        ItemsHandler items = new ItemsHandler(ctx);
        HealthHandler health = new HealthHandler(ctx);
        return new Routes()
                .add("POST", "/v1/search", "search", search::byVector)
                .add("POST", "/v1/search/image", "search_image", search::byImage)
                .add("POST", "/v1/embed", "embed", embedEndpoint ? search::embed : ShardServer::embedOff)
                .add("GET", "/v1/items/{id}", "item", items::get)
                .add("GET", "/v1/items/{id}/similar", "similar", search::similar)
                .add("GET", "/v1/index", "index", new IndexInfoHandler(ctx)::get)
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
                .add("POST", "/admin/generation", "admin_generation", new AdminHandler(ctx)::switchGeneration);
    }

    private static Response embedOff(Request r) {
        throw ApiException.notFound(
                "POST /v1/embed is off on this server: start it with --embed-endpoint (a router's shard servers need it)");
    }

    private static Set<Integer> shards(Settings o) {
        Set<Integer> out = new TreeSet<>();
        for (String part : o.get(ServeOptions.SHARDS)) {
            for (String s : part.split(",")) {
                try {
                    int n = Integer.parseInt(s.strip());
                    if (n < 0) {
                        throw new NumberFormatException();
                    }
                    out.add(n);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--shards takes shard numbers such as 0,1; got '" + s + "'");
                }
            }
        }
        return out.isEmpty() ? null : out;
    }

    private static int positive(Settings o, Option<Integer> option) {
        int v = o.get(option);
        if (v < 1) {
            throw new IllegalArgumentException("--" + option.key() + " must be positive, was " + v);
        }
        return v;
    }

    public IndexServer http() {
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
