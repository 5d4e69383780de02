package io.imgindex.server;

import io.imgindex.flags.ByteSize;
import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.imaging.decode.DecodeLimitOptions;
import io.imgindex.server.load.GraphWalk;
import io.imgindex.server.search.Searcher;
import java.time.Duration;
import java.util.List;

/** The options of {@code imgindex serve}; each key is also a {@code --flag}. */
public final class ServeOptions {

    private ServeOptions() {}

    public static final Option<String> INDEX = Options.key("index")
            .stringType()
            .defaultValue("indexes")
            .withDescription("Where the indexes live: a local folder or an s3a:// URI (the job's --output).");
    public static final Option<String> NAME =
            Options.key("name").stringType().defaultValue("images").withDescription("The index to serve.");
    public static final Option<String> HOST =
            Options.key("host").stringType().defaultValue("0.0.0.0").withDescription("The address to listen on.");
    public static final Option<Integer> PORT = Options.key("port")
            .intType()
            .defaultValue(8080)
            .withDescription("The port; 0 picks a free one (the bound address is logged).");
    public static final Option<List<String>> SHARDS = Options.key("shards")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("The shards this server loads, e.g. 0,1 (repeatable). Default: all of them.");
    public static final Option<Integer> LOAD_THREADS = Options.key("load-threads")
            .intType()
            .defaultValue(4)
            .withDescription("Files read and parsed at once while loading a generation.");
    public static final Option<String> CACHE_DIR = Options.key("cache-dir")
            .stringType()
            .noDefaultValue()
            .withDescription("Where segment files from S3 are kept on local disk to be mapped, and where checks of"
                    + " a local index's files are remembered. Default: $IMGINDEX_CACHE_DIR, else"
                    + " ~/.cache/imgindex/segments.");
    public static final Option<ByteSize> CACHE_SIZE = Options.key("cache-size")
            .memoryType()
            .defaultValue(ByteSize.parse("64gb"))
            .withDescription("Most bytes of downloaded segment files kept in --cache-dir; the least recently used"
                    + " files no loaded generation needs are deleted first.");
    public static final Option<Integer> KEEP_LOADED = Options.key("keep-loaded")
            .intType()
            .defaultValue(2)
            .withDescription("Generations kept loaded: the current one and those before it, so that switching back"
                    + " to one (a rollback) is immediate. Generations share the segments they have in common.");
    public static final Option<Duration> WATCH_INTERVAL = Options.key("watch-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("How often the latest-generation pointer is checked for a new generation.");
    public static final Option<Searcher.Mode> SEARCH_MODE = Options.key("search.mode")
            .enumType(Searcher.Mode.class)
            .defaultValue(Searcher.Mode.APPROXIMATE)
            .withDescription(
                    "The default search: APPROXIMATE (through the graph) or EXACT; a request may ask for" + " either.");
    public static final Option<Boolean> HNSW = Options.key("hnsw")
            .booleanType()
            .defaultValue(true)
            .withDescription("Build HNSW graphs when loading (--hnsw=false serves exact search only).");
    public static final Option<Integer> HNSW_M =
            Options.key("hnsw.m").intType().defaultValue(16).withDescription("HNSW M: neighbours per node.");
    public static final Option<Integer> HNSW_EF_CONSTRUCTION = Options.key("hnsw.ef-construction")
            .intType()
            .defaultValue(100)
            .withDescription("HNSW efConstruction: candidates while building.");
    public static final Option<Integer> HNSW_EF_SEARCH = Options.key("hnsw.ef-search")
            .intType()
            .defaultValue(100)
            .withDescription("HNSW efSearch: the candidates a graph walk keeps for a segment of up to 50,000 rows,"
                    + " times sqrt(rows / 50,000) for a larger one (a request may set ef).");
    public static final Option<GraphWalk> GRAPH_WALK = Options.key("graph-walk")
            .enumType(GraphWalk.class)
            .defaultValue(GraphWalk.AUTO)
            .withDescription("What graph walks score: PQ (the segments' PQ codes, re-ranked on the full vectors),"
                    + " FULL (the mapped full vectors) or AUTO (FULL while the served vectors take at most half of"
                    + " the memory, else PQ where a segment has codes).");
    public static final Option<Integer> MAX_K =
            Options.key("max-k").intType().defaultValue(1000).withDescription("The largest k a request may ask for.");
    public static final Option<Integer> WORKERS = Options.key("workers")
            .intType()
            .defaultValue(Math.max(2, Runtime.getRuntime().availableProcessors()))
            .withDescription("Threads answering requests (off the event loop).");
    public static final Option<Integer> QUEUE = Options.key("queue")
            .intType()
            .defaultValue(512)
            .withDescription("Requests waiting for a worker before new ones are answered 503.");
    public static final Option<ByteSize> MAX_BODY = Options.key("max-body")
            .memoryType()
            .defaultValue(ByteSize.parse("16mb"))
            .withDescription("The largest request body (an uploaded image); larger ones get 413.");
    public static final Option<Duration> REQUEST_TIMEOUT = Options.key("request-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("The longest a request may take.");
    public static final Option<Duration> IDLE_TIMEOUT = Options.key("idle-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(120))
            .withDescription("How long a connection may stay silent.");
    public static final Option<Integer> MAX_CONNECTIONS = Options.key("max-connections")
            .intType()
            .defaultValue(4096)
            .withDescription("Connections open at once; more are closed as they come.");
    public static final Option<Duration> RECEIVE_TIMEOUT = Options.key("receive-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("How long a request may take to arrive whole, from its first byte (408 after).");
    public static final Option<ByteSize> BODY_BUDGET = Options.key("body-budget")
            .memoryType()
            .noDefaultValue()
            .withDescription("Bytes of requests being received on all connections together; a request that would"
                    + " pass it gets 503. Default: a quarter of the maximum heap, and at least --max-body.");
    public static final Option<String> MODEL_CACHE = Options.key("model-cache")
            .stringType()
            .noDefaultValue()
            .withDescription("Where models are kept (as for the job). Default:"
                    + " $IMGINDEX_MODEL_CACHE, else ~/.cache/imgindex/models.");
    public static final Option<Boolean> ALLOW_PRIVATE_NETWORKS = Options.key("allow-private-networks")
            .booleanType()
            .defaultValue(false)
            .withDescription("Let image search by URL reach loopback, private and link-local addresses.");
    public static final Option<List<String>> ALLOW_NETWORK = Options.key("allow-network")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("An address block image search by URL may reach although it is not public.");
    public static final Option<List<String>> URL_SCHEMES = Options.key("search.url-schemes")
            .stringType()
            .asList()
            .defaultValues("http", "https")
            .withDescription("The URL schemes image search by URL (and /v1/embed) may fetch: http, https, s3a, s3."
                    + " s3a and s3 read with the server's own credentials, so every object those reach becomes"
                    + " readable (as search results and vectors) by whoever reaches the server: add them only where"
                    + " every client may read every such object.");
    public static final Option<Boolean> EMBED_ENDPOINT = Options.key("embed-endpoint")
            .booleanType()
            .defaultValue(false)
            .withDescription("Answer POST /v1/embed (an image's vector). Off by default: it lends the server's model"
                    + " to any client as an embedding service. A router embeds image queries through it, so the shard"
                    + " servers behind a router turn it on.");
    public static final Option<Boolean> ROUTER = Options.key("router")
            .booleanType()
            .defaultValue(false)
            .withDescription("Run as a router: fan queries out to --backends and merge their results.");
    public static final Option<List<String>> CORS_ORIGINS = Options.key("cors-origins")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("Origins whose pages may read this server's answers (https://photos.example.org, or *"
                    + " for any); repeatable or comma-separated. None by default: a page served elsewhere cannot"
                    + " query the server, only its own search page can.");
    public static final Option<List<String>> BACKENDS = Options.key("backends")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("Shard servers (host:port) a router fans out to; repeatable or" + " comma-separated.");
    public static final Option<Duration> ROUTER_DEADLINE = Options.key("router.deadline")
            .durationType()
            .defaultValue(Duration.ofMillis(1500))
            .withDescription("How long a router waits for backends before answering with what it has.");

    /** Every option, in help order. */
    public static final List<Option<?>> ALL = List.of(
            INDEX,
            NAME,
            HOST,
            PORT,
            SHARDS,
            CACHE_DIR,
            CACHE_SIZE,
            KEEP_LOADED,
            LOAD_THREADS,
            WATCH_INTERVAL,
            SEARCH_MODE,
            HNSW,
            HNSW_M,
            HNSW_EF_CONSTRUCTION,
            HNSW_EF_SEARCH,
            MAX_K,
            WORKERS,
            QUEUE,
            MAX_BODY,
            REQUEST_TIMEOUT,
            IDLE_TIMEOUT,
            MAX_CONNECTIONS,
            GRAPH_WALK,
            RECEIVE_TIMEOUT,
            BODY_BUDGET,
            MODEL_CACHE,
            ALLOW_PRIVATE_NETWORKS,
            ALLOW_NETWORK,
            URL_SCHEMES,
            EMBED_ENDPOINT,
            DecodeLimitOptions.MAX_PIXELS,
            DecodeLimitOptions.MAX_SIDE,
            DecodeLimitOptions.MAX_ASPECT_RATIO,
            DecodeLimitOptions.MAX_SCANS,
            DecodeLimitOptions.TIMEOUT,
            ROUTER,
            CORS_ORIGINS,
            BACKENDS,
            ROUTER_DEADLINE);
}
