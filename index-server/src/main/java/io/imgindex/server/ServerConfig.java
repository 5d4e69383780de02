package io.imgindex.server;

import io.imgindex.flags.ByteSize;
import io.imgindex.flags.Flags;
import io.imgindex.flags.Option;
import io.imgindex.flags.Settings;
import io.imgindex.format.Sha256;
import io.imgindex.imaging.decode.DecodeLimitOptions;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.server.http.Cors;
import io.imgindex.server.load.GraphWalk;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.Searcher;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * What {@code imgindex serve} was asked for, read from its flags and checked once ({@link #from}); the shard server,
 * the router and the HTTP server take their settings from here, never from the flags. Immutable.
 *
 * @param role a shard server or a router
 * @param listen where it listens
 * @param index which index it serves and from where (shard servers)
 * @param loading how generations are loaded, cached and switched (shard servers)
 * @param search how queries are answered (shard servers)
 * @param fetch what a search by URL may reach (shard servers)
 * @param decode the decoder's limits for query images (shard servers)
 * @param http the HTTP server's limits (both)
 * @param router the backends and the deadline (routers)
 * @param admin whether admin endpoints answer, and to which token (shard servers)
 */
public record ServerConfig(
        Role role,
        Listen listen,
        Index index,
        Loading loading,
        Search search,
        Fetch fetch,
        DecodeOptions.Limits decode,
        HttpServer.Limits http,
        Router router,
        Admin admin) {

    /** What a server process is. */
    public enum Role {
        /** Loads shards of an index and answers queries on them. */
        SHARD,
        /** Fans queries out to shard servers and merges their answers. */
        ROUTER
    }

    /**
     * @param host the address to listen on
     * @param port the port, 0 for any free one
     * @param cors the other origins whose pages may read answers ({@code --cors-origins})
     */
    public record Listen(String host, int port, Cors cors) {}

    /**
     * @param location where the indexes are (a folder or an {@code s3a://} URI)
     * @param name the index's name
     * @param shards the shards this server serves, empty for all
     * @param modelCache where models are cached
     * @param storeSettings S3A settings ({@code --conf fs.s3a.*}); credentials come from the environment
     */
    public record Index(
            String location, String name, Set<Integer> shards, Path modelCache, Map<String, String> storeSettings) {}

    /**
     * @param threads threads that read and verify files
     * @param cacheDir the local segment cache
     * @param cacheBytes the most the cache holds
     * @param keepLoaded generations kept loaded for rollback
     * @param watchInterval how often {@code _LATEST} is read
     * @param graphWalk what graph walks score
     */
    public record Loading(
            int threads, Path cacheDir, long cacheBytes, int keepLoaded, Duration watchInterval, GraphWalk graphWalk) {}

    /**
     * @param defaultMode the search a request gets unless it asks for the other
     * @param hnsw the graph's parameters (version 1 generations build it at load), null with {@code --no-hnsw}
     * @param efSearch the candidates a graph walk keeps unless a request asks for more
     * @param maxK the largest {@code k} a request may ask for
     * @param urlSchemes the schemes a query image URL may have
     * @param embedEndpoint whether {@code POST /v1/embed} answers
     */
    public record Search(
            Searcher.Mode defaultMode,
            HnswParams hnsw,
            int efSearch,
            int maxK,
            List<String> urlSchemes,
            boolean embedEndpoint) {}

    /**
     * @param allowPrivateNetworks whether a query URL may reach private networks
     * @param allowedNetworks networks a query URL may reach although private
     * @param maxBytes the most bytes of a fetched query image
     * @param totalTimeout the longest one fetch may take
     */
    public record Fetch(
            boolean allowPrivateNetworks, List<String> allowedNetworks, long maxBytes, Duration totalTimeout) {}

    /**
     * @param backends the shard servers, {@code host:port}
     * @param deadline how long a fanned-out query waits for its backends
     */
    public record Router(List<String> backends, Duration deadline) {}

    /**
     * The generation switch ({@code POST /admin/generation}).
     *
     * @param tokenSha256 the SHA-256 of {@code IMGINDEX_ADMIN_TOKEN} (the token itself is not kept), or null: off
     */
    public record Admin(byte[] tokenSha256) {

        static Admin of(String token) {
            return new Admin(
                    token == null || token.isBlank()
                            ? null
                            : Sha256.newDigest().digest(token.getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The environment variable that holds the admin token (never a flag: command lines are visible to all). */
    public static final String ADMIN_TOKEN_ENV = "IMGINDEX_ADMIN_TOKEN";

    /** HNSW's pruning defaults (JVector's): a node's list may grow 20% past M, and pruning keeps diverse links. */
    private static final float NEIGHBOR_OVERFLOW = 1.2f;

    private static final float ALPHA = 1.2f;

    /** How long a server waits for a query image it fetches. */
    private static final Duration FETCH_TOTAL_TIMEOUT = Duration.ofSeconds(20);

    /**
     * Reads and checks a command line's settings, with no S3A settings and the admin endpoint off.
     *
     * @throws IllegalArgumentException naming the flag at fault
     */
    public static ServerConfig from(Settings o) {
        return from(o, Map.of(), null);
    }

    /**
     * Reads and checks a parsed {@code imgindex serve} command line.
     *
     * @param adminToken the admin token ({@link #ADMIN_TOKEN_ENV}), or null to turn admin endpoints off
     * @throws IllegalArgumentException naming the flag at fault
     */
    public static ServerConfig from(Flags.Parsed parsed, String adminToken) {
        return from(parsed.options(), parsed.flinkConf(), adminToken);
    }

    private static ServerConfig from(Settings o, Map<String, String> storeSettings, String adminToken) {
        Role role = o.get(ServeOptions.ROUTER) ? Role.ROUTER : Role.SHARD;
        Listen listen = new Listen(o.get(ServeOptions.HOST), o.get(ServeOptions.PORT), cors(o));
        HttpServer.Limits http = httpLimits(o);
        if (role == Role.ROUTER) {
            return new ServerConfig(role, listen, null, null, null, null, null, http, router(o), null);
        }
        Index index = new Index(
                o.get(ServeOptions.INDEX),
                o.get(ServeOptions.NAME),
                shards(o),
                o.getOptional(ServeOptions.MODEL_CACHE).map(Paths::get).orElseGet(ModelStore::defaultCache),
                Map.copyOf(storeSettings));
        Loading loading = new Loading(
                positive(o, ServeOptions.LOAD_THREADS),
                cacheDir(o),
                o.get(ServeOptions.CACHE_SIZE).getBytes(),
                positive(o, ServeOptions.KEEP_LOADED),
                o.get(ServeOptions.WATCH_INTERVAL),
                o.get(ServeOptions.GRAPH_WALK));
        HnswParams hnsw = o.get(ServeOptions.HNSW)
                ? new HnswParams(
                        o.get(ServeOptions.HNSW_M),
                        o.get(ServeOptions.HNSW_EF_CONSTRUCTION),
                        o.get(ServeOptions.HNSW_EF_SEARCH),
                        NEIGHBOR_OVERFLOW,
                        ALPHA)
                : null;
        Searcher.Mode mode = hnsw == null ? Searcher.Mode.EXACT : o.get(ServeOptions.SEARCH_MODE);
        Search search = new Search(
                mode,
                hnsw,
                o.get(ServeOptions.HNSW_EF_SEARCH),
                positive(o, ServeOptions.MAX_K),
                o.get(ServeOptions.URL_SCHEMES),
                o.get(ServeOptions.EMBED_ENDPOINT));
        Fetch fetch = new Fetch(
                o.get(ServeOptions.ALLOW_PRIVATE_NETWORKS),
                o.get(ServeOptions.ALLOW_NETWORK),
                http.maxBodyBytes(),
                FETCH_TOTAL_TIMEOUT);
        return new ServerConfig(
                role,
                listen,
                index,
                loading,
                search,
                fetch,
                DecodeLimitOptions.limits(o),
                http,
                null,
                Admin.of(adminToken));
    }

    /** The segment cache folder: {@code --cache-dir}, else {@code $IMGINDEX_CACHE_DIR}, else the user's cache. */
    static Path cacheDir(Settings o) {
        return o.getOptional(ServeOptions.CACHE_DIR)
                .or(() ->
                        Optional.ofNullable(System.getenv("IMGINDEX_CACHE_DIR")).filter(d -> !d.isBlank()))
                .map(Paths::get)
                .orElseGet(() -> Paths.get(System.getProperty("user.home"), ".cache", "imgindex", "segments"));
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
        return Set.copyOf(out);
    }

    private static Router router(Settings o) {
        List<String> backends = new ArrayList<>();
        for (String part : o.get(ServeOptions.BACKENDS)) {
            for (String b : part.split(",")) {
                String hp = b.strip();
                if (!hp.matches("[A-Za-z0-9.\\-\\[\\]:]+:\\d{1,5}")) {
                    throw new IllegalArgumentException("--backends takes host:port pairs, got '" + hp + "'");
                }
                backends.add(hp);
            }
        }
        if (backends.isEmpty()) {
            throw new IllegalArgumentException("--router needs --backends host:port,...");
        }
        return new Router(List.copyOf(backends), o.get(ServeOptions.ROUTER_DEADLINE));
    }

    /** The HTTP server's limits (both roles). */
    private static Cors cors(Settings o) {
        Set<String> origins = new TreeSet<>();
        for (String entry : o.get(ServeOptions.CORS_ORIGINS)) { // repeated, or comma-separated
            for (String origin : entry.split(",")) {
                if (!origin.isBlank()) {
                    origins.add(origin.strip());
                }
            }
        }
        return new Cors(origins);
    }

    private static HttpServer.Limits httpLimits(Settings o) {
        long body = o.get(ServeOptions.MAX_BODY).getBytes();
        if (body < 1024 || body > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--max-body must be within 1kb..2gb, was " + body);
        }
        long budget = o.getOptional(ServeOptions.BODY_BUDGET)
                .map(ByteSize::getBytes)
                .orElse(Math.max(body, Runtime.getRuntime().maxMemory() / 4));
        if (budget < body) {
            throw new IllegalArgumentException("--body-budget (" + budget + " bytes) must be at least --max-body ("
                    + body + " bytes), or no body of the largest size could ever arrive");
        }
        return new HttpServer.Limits(
                positive(o, ServeOptions.WORKERS),
                positive(o, ServeOptions.QUEUE),
                (int) body,
                positiveDuration(o, ServeOptions.REQUEST_TIMEOUT),
                positiveDuration(o, ServeOptions.IDLE_TIMEOUT),
                positive(o, ServeOptions.MAX_CONNECTIONS),
                positiveDuration(o, ServeOptions.RECEIVE_TIMEOUT),
                budget);
    }

    private static Duration positiveDuration(Settings o, Option<Duration> option) {
        Duration v = o.get(option);
        if (v.isNegative() || v.isZero()) {
            throw new IllegalArgumentException("--" + option.key() + " must be positive, was " + v);
        }
        return v;
    }

    private static int positive(Settings o, Option<Integer> option) {
        int v = o.get(option);
        if (v < 1) {
            throw new IllegalArgumentException("--" + option.key() + " must be positive, was " + v);
        }
        return v;
    }
}
