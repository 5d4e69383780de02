package io.imgindex.job;

import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.flags.ByteSize;
import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.format.GraphParams;
import io.imgindex.imaging.decode.DecodeLimitOptions;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.output.SegmentSettings;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The options of the indexing job. Each key is also a command-line flag: {@code --<key> VALUE}. Read once into
 * an {@link IndexJobConfig}, which checks them.
 */
public final class IndexOptions {

    private IndexOptions() {}

    // --- how

    /** How the job runs. */
    public enum Mode {
        /** Index the input lists into one new generation and stop. */
        BATCH,
        /** Read a queue until stopped, publishing a generation at each checkpoint. */
        STREAMING;

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public static final Option<Mode> MODE = Options.key("mode")
            .enumType(Mode.class)
            .defaultValue(Mode.BATCH)
            .withDescription("batch: index the --input lists into one new generation and stop. streaming: read"
                    + " image URLs from a RabbitMQ queue (--rabbitmq-uri, --queue) until stopped, and publish each"
                    + " completed checkpoint as a new generation; locally, SIGTERM or Ctrl-C stops it with a"
                    + " savepoint.");

    // --- where from, where to

    public static final Option<List<String>> INPUT = Options.key("input")
            .stringType()
            .asList()
            .noDefaultValue()
            .withDescription("A URL list, or a folder of them: a local path, file:, or s3a:. Repeatable."
                    + " Text (one URL per line), CSV (*.csv, header with url and optional id) or JSON lines"
                    + " (*.jsonl); .gz is read too. A backfill: an index's _LATEST (or a generation's"
                    + " _manifest.json) reads every row that generation accounts for, to index them again.");

    public static final Option<String> OUTPUT = Options.key("output")
            .stringType()
            .defaultValue("indexes")
            .withDescription("Where indexes live: a local folder or an s3a:// URI. The index is written to"
                    + " <output>/<name>/generation=<n>/.");

    public static final Option<String> NAME = Options.key("name")
            .stringType()
            .defaultValue("images")
            .withDescription("The index name (letters, digits, '.', '_', '-').");

    public static final Option<Integer> SHARDS = Options.key("shards")
            .intType()
            .defaultValue(4)
            .withDescription("Number of shards the index table is split into (1..4096).");

    public static final Option<String> MODEL = Options.key("model")
            .stringType()
            .defaultValue(ModelCatalog.DEFAULT)
            .withDescription("A model id (" + String.join(", ", ModelCatalog.ids()) + "), fetched with npm and"
                    + " imported into the model cache the first time it is used, or a model folder (a SavedModel"
                    + " with an imgindex-model.json card, see 'imgindex import-model').");

    public static final Option<String> MODEL_CACHE = Options.key("model-cache")
            .stringType()
            .noDefaultValue()
            .withDescription("Where imported models are kept. Default: $IMGINDEX_MODEL_CACHE, else"
                    + " ~/.cache/imgindex/models.");

    public static final Option<Integer> THUMBNAIL_SIZE = Options.key("thumbnail.size")
            .intType()
            .defaultValue(160)
            .withDescription("The longest side, in pixels, of the thumbnail stored with each indexed item (a JPEG of"
                    + " a few KB, made from the same decode; never larger than the image), which servers serve at"
                    + " /v1/items/{id}/thumbnail. 0 stores none. At most 512.");

    public static final Option<Integer> PARALLELISM = Options.key("parallelism")
            .intType()
            .noDefaultValue()
            .withDescription("Parallelism of the job. Default: the number of processors for local runs, the"
                    + " cluster's default otherwise.");

    // --- safety

    public static final Option<Boolean> ALLOW_PRIVATE_NETWORKS = Options.key("allow-private-networks")
            .booleanType()
            .defaultValue(false)
            .withDescription("Allow fetching from loopback, private and link-local addresses (refused by default,"
                    + " after DNS resolution and on every redirect). Cloud metadata services such as"
                    + " 169.254.169.254 stay refused unless an --allow-network block names them.");

    public static final Option<List<String>> ALLOW_NETWORK = Options.key("allow-network")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("An address block (CIDR, e.g. 10.20.0.0/16) that may be fetched although it is not"
                    + " public; the rest stays refused. Repeatable.");

    public static final Option<List<String>> ALLOW_FILE_ROOT = Options.key("allow-file-root")
            .stringType()
            .asList()
            .defaultValues()
            .withDescription("A local folder under which file: URLs may be read. Repeatable. None by default.");

    // --- fetch

    public static final Option<Duration> FETCH_CONNECT_TIMEOUT = Options.key("fetch.connect-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(5))
            .withDescription("Time to open a connection.");

    public static final Option<Duration> FETCH_READ_TIMEOUT = Options.key("fetch.read-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(15))
            .withDescription("Longest silence while reading a response.");

    public static final Option<Duration> FETCH_REQUEST_TIMEOUT = Options.key("fetch.request-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(60))
            .withDescription("Longest time for one request, body included.");

    public static final Option<Duration> FETCH_TOTAL_TIMEOUT = Options.key("fetch.total-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(120))
            .withDescription("Longest time for one URL: redirects, retries, backoff and queueing included.");

    public static final Option<ByteSize> FETCH_MAX_BYTES = Options.key("fetch.max-bytes")
            .memoryType()
            .defaultValue(ByteSize.parse("20mb"))
            .withDescription("Largest image accepted (declared or actual size).");

    public static final Option<Integer> FETCH_MAX_REDIRECTS =
            Options.key("fetch.max-redirects").intType().defaultValue(5).withDescription("Redirects followed per URL.");

    public static final Option<Integer> FETCH_MAX_ATTEMPTS = Options.key("fetch.max-attempts")
            .intType()
            .defaultValue(3)
            .withDescription("Attempts per request; only timeouts, 5xx and 429 answers are retried (429 and 503"
                    + " after the time their Retry-After asks, and every request to that host waits too).");

    public static final Option<Duration> FETCH_BACKOFF = Options.key("fetch.backoff")
            .durationType()
            .defaultValue(Duration.ofMillis(500))
            .withDescription("Delay before the first retry, doubled for each further one (with jitter).");

    public static final Option<Duration> FETCH_BACKOFF_MAX = Options.key("fetch.backoff-max")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("Longest delay between retries.");

    public static final Option<Integer> FETCH_PER_HOST = Options.key("fetch.per-host-concurrency")
            .intType()
            .defaultValue(4)
            .withDescription("Connections open at once to one host, per task.");

    public static final Option<Integer> FETCH_MAX_CONNECTIONS = Options.key("fetch.max-connections")
            .intType()
            .defaultValue(64)
            .withDescription("Connections open at once in total, per task.");

    public static final Option<Integer> FETCH_MAX_IN_FLIGHT = Options.key("fetch.max-in-flight")
            .intType()
            .defaultValue(128)
            .withDescription("URLs being fetched at once, per task (the async operator's capacity).");

    public static final Option<String> FETCH_USER_AGENT = Options.key("fetch.user-agent")
            .stringType()
            .defaultValue("imgindex/0.1")
            .withDescription("The User-Agent header.");

    public static final Option<Integer> FETCH_IO_THREADS = Options.key("fetch.io-threads")
            .intType()
            .defaultValue(4)
            .withDescription("Threads reading file: and s3a: URLs, per task.");

    // --- decode

    // The decode limits are shared with the server's image search: DecodeLimitOptions.

    // --- embed

    public static final Option<Integer> EMBED_BATCH_SIZE =
            Options.key("embed.batch-size").intType().defaultValue(32).withDescription("Most images per model call.");

    public static final Option<Duration> EMBED_MAX_WAIT = Options.key("embed.max-wait")
            .durationType()
            .defaultValue(Duration.ofMillis(20))
            .withDescription("How long a batch waits for more images after its first one.");

    public static final Option<Integer> EMBED_INTRA_OP_THREADS = Options.key("embed.intra-op-threads")
            .intType()
            .defaultValue(0)
            .withDescription("TensorFlow threads inside an op (0: TensorFlow's choice).");

    public static final Option<Integer> EMBED_INTER_OP_THREADS = Options.key("embed.inter-op-threads")
            .intType()
            .defaultValue(0)
            .withDescription("TensorFlow threads across ops (0: TensorFlow's choice).");

    public static final Option<String> EMBED_DEVICE = Options.key("embed.device")
            .stringType()
            .defaultValue("auto")
            .withDescription("Where the model runs: auto (the GPUs Flink assigns to the task manager as external"
                    + " resource 'gpu', else the CPU), cpu, or gpu (every GPU TensorFlow sees, for runs outside a"
                    + " cluster). GPUs need the GPU natives (build with -Pgpu). Memory growth is on.");

    public static final Option<Duration> EMBED_TIMEOUT = Options.key("embed.timeout")
            .durationType()
            .defaultValue(Duration.ofMinutes(5))
            .withDescription("Longest wait for one image's embedding before it fails with EMBEDDING_FAILED.");

    // --- streaming

    public static final Option<String> RABBITMQ_URI = Options.key("rabbitmq-uri")
            .stringType()
            .defaultValue("amqp://127.0.0.1:5672/%2f")
            .withDescription("STREAMING: the broker, amqp://host:port/vhost or amqps://… (TLS, verified)."
                    + " Credentials come from the environment, IMGINDEX_RABBITMQ_USERNAME and"
                    + " IMGINDEX_RABBITMQ_PASSWORD (default: RabbitMQ's guest account, loopback only), never"
                    + " from the URI.");

    public static final Option<String> QUEUE = Options.key("queue")
            .stringType()
            .noDefaultValue()
            .withDescription("STREAMING: the queue to read (declared durable if missing). Each message is a JSON"
                    + " object {\"url\", \"id\", other members as metadata} or a bare URL, with a correlation"
                    + " id ('imgindex enroll' publishes such messages).");

    public static final Option<String> RABBITMQ_QUEUE_TYPE = Options.key("rabbitmq.queue-type")
            .stringType()
            .defaultValue("classic")
            .withDescription("STREAMING and enroll: how the queue is declared when it does not exist: classic, or"
                    + " quorum (replicated over a RabbitMQ cluster). An existing queue must match.");

    public static final Option<Integer> RABBITMQ_PREFETCH = Options.key("rabbitmq.prefetch")
            .intType()
            .defaultValue(500)
            .withDescription("STREAMING: messages the broker sends ahead of acknowledgement. Messages are"
                    + " acknowledged when the checkpoint covering them completes, so this caps the messages taken"
                    + " per checkpoint interval.");

    public static final Option<Duration> RABBITMQ_DELIVERY_TIMEOUT = Options.key("rabbitmq.delivery-timeout")
            .durationType()
            .defaultValue(Duration.ofMillis(200))
            .withDescription("STREAMING: how long the source waits for a message before checking whether to"
                    + " stop; short, so a stop with a savepoint is quick.");

    public static final Option<String> BASE_GENERATION = Options.key("base-generation")
            .stringType()
            .defaultValue("latest")
            .withDescription("STREAMING, when not restored from a savepoint: the generation the stream builds on."
                    + " latest: the index's latest generation (a batch run or backfill, or an earlier stream), so"
                    + " every commit lists its rows too; none: start empty; or a number. It must have the job's"
                    + " model and number of shards. Its images are not known to this run's deduplication.");

    public static final Option<String> APPEND_TO = Options.key("append-to")
            .stringType()
            .noDefaultValue()
            .withDescription("BATCH: append to a committed generation of the index (--output, --name): latest or its"
                    + " number. The new generation lists that generation's rows as they are (not fetched nor embedded"
                    + " again) plus this run's; new images are deduplicated against its items too (exact and near"
                    + " copies name the base item), and a line whose id the base holds fails as ALREADY_INDEXED."
                    + " It must have the job's model and number of shards. Without it, a batch run indexes its"
                    + " inputs alone.");

    /** The checkpoint interval when neither the flag nor the cluster sets one. */
    public static final Duration DEFAULT_CHECKPOINT_INTERVAL = Duration.ofSeconds(10);

    public static final Option<Duration> CHECKPOINT_INTERVAL = Options.key("checkpoint-interval")
            .durationType()
            .noDefaultValue()
            .withDescription("STREAMING: how often a checkpoint is taken. Each completed checkpoint that brought"
                    + " new rows is published as a generation: this is the index's freshness. Default: the"
                    + " cluster's execution.checkpointing.interval (or --conf's), else 10 s.");

    public static final Option<String> CHECKPOINT_DIR = Options.key("checkpoint-dir")
            .stringType()
            .noDefaultValue()
            .withDescription("STREAMING: where checkpoints are kept (a folder, file: or s3a:). Default on an"
                    + " embedded cluster: <output>/<name>/_flink/checkpoints; on a cluster, its"
                    + " state.checkpoints.dir.");

    public static final Option<String> SAVEPOINT_DIR = Options.key("savepoint-dir")
            .stringType()
            .noDefaultValue()
            .withDescription("STREAMING: where the savepoint taken when the job is stopped goes. Default on an"
                    + " embedded cluster: <output>/<name>/_flink/savepoints; on a cluster, its"
                    + " state.savepoints.dir.");

    public static final Option<Boolean> RESUME = Options.key("resume")
            .booleanType()
            .defaultValue(true)
            .withDescription("STREAMING on an embedded cluster: when the last stream on this index did not stop"
                    + " with a savepoint (it was killed, or failed), restore from its latest retained checkpoint,"
                    + " so that nothing it had read is lost; --no-resume starts fresh instead.");

    public static final Option<String> FROM_SAVEPOINT = Options.key("from-savepoint")
            .stringType()
            .noDefaultValue()
            .withDescription("STREAMING: restore the job from this savepoint (or retained checkpoint): its"
                    + " deduplication state, counts and committed files carry on, and messages not acknowledged"
                    + " before it are read again.");

    // --- near-duplicates

    public static final Option<Boolean> NEAR_DUP = Options.key("near-dup")
            .booleanType()
            .defaultValue(true)
            .withDescription("Record near-identical images (resized, re-encoded, cropped, watermarked copies) as"
                    + " duplicates of the one kept, after the embedding. Off: only identical bytes are duplicates.");

    public static final Option<Float> NEAR_DUP_THRESHOLD = Options.key("near-dup.threshold")
            .floatType()
            .noDefaultValue()
            .withDescription("Cosine similarity at or above which an image is a near-duplicate. Default: the"
                    + " model card's near_duplicate_threshold, measured per model (mobilenet-v2-140: 0.86); a model"
                    + " without one indexes near-duplicates unless this is given.");

    public static final Option<Integer> NEAR_DUP_TABLES = Options.key("near-dup.tables")
            .intType()
            .defaultValue(NearDupParams.DEFAULT_TABLES)
            .withDescription("LSH tables (random-hyperplane buckets per kept image). More: higher recall, more"
                    + " state and work.");

    public static final Option<Integer> NEAR_DUP_BITS = Options.key("near-dup.bits")
            .intType()
            .defaultValue(NearDupParams.DEFAULT_BITS)
            .withDescription("Hyperplanes per LSH table. More: smaller buckets, lower recall.");

    public static final Option<Integer> NEAR_DUP_PROBES = Options.key("near-dup.probes")
            .intType()
            .defaultValue(NearDupParams.DEFAULT_PROBES)
            .withDescription("Neighbouring buckets also searched per table (one uncertain bit flipped each).");

    public static final Option<Integer> NEAR_DUP_BUCKET_CAPACITY = Options.key("near-dup.bucket-capacity")
            .intType()
            .defaultValue(NearDupParams.DEFAULT_BUCKET_CAPACITY)
            .withDescription("Kept images remembered per bucket; the oldest is forgotten first. Bounds the"
                    + " candidates per image to tables x (1 + probes) x capacity.");

    public static final Option<Integer> NEAR_DUP_COMPARED = Options.key("near-dup.compared")
            .intType()
            .defaultValue(NearDupParams.DEFAULT_COMPARED)
            .withDescription("Candidates compared by their vectors per image: those whose LSH signatures are"
                    + " nearest (Hamming distance); the others are screened out. Bounds the work per image.");

    public static final Option<Integer> NEAR_DUP_PARTITIONS = Options.key("near-dup.partitions")
            .intType()
            .defaultValue(32)
            .withDescription("Partitions of the near-duplicate state: coarse clusters of the embeddings, trained"
                    + " on 64 vectors per partition (BATCH: a sample of the run's vectors chosen by id, so the"
                    + " decisions are the same at any parallelism; STREAMING: the stream's first vectors). They are"
                    + " spread over the near-duplicate operator's subtasks. A smaller sample trains fewer. 1: one"
                    + " partition.");

    public static final Option<Duration> NEAR_DUP_ROUTING_WAIT = Options.key("near-dup.routing-wait")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("STREAMING: the longest the first images wait for the partitions to be trained on"
                    + " the stream's first vectors; then they are trained on what came (one partition, under 32"
                    + " images).");

    public static final Option<Float> NEAR_DUP_PARTITION_MARGIN = Options.key("near-dup.partition-margin")
            .floatType()
            .defaultValue(0.01f)
            .withDescription("A kept image is also remembered in every partition whose centroid is within this"
                    + " cosine of its own partition's, so a near-duplicate landing next door still finds it. More:"
                    + " higher recall against one partition, more state.");

    public static final Option<Duration> NEAR_DUP_TTL = Options.key("near-dup.ttl")
            .durationType()
            .defaultValue(Duration.ZERO)
            .withDescription("STREAMING only: how long a kept image is remembered for near-duplicate matching"
                    + " (0: for ever). Bounds the state to one TTL window; a copy arriving later is indexed again.");

    // --- output

    public static final Option<ByteSize> OUTPUT_FILE_SIZE = Options.key("output.file-size")
            .memoryType()
            .defaultValue(ByteSize.parse("256mb"))
            .withDescription("Size at which a Parquet file is closed and the next one started.");

    // --- segments: how the index table is cut and its graphs built

    public static final Option<Integer> GRAPH_M = Options.key("graph.m")
            .intType()
            .defaultValue(GraphParams.DEFAULT_MAX_DEGREE)
            .withDescription("Neighbours per node of each segment's graph (HNSW's M): more is better recall, a"
                    + " bigger graph and a slower build.");

    public static final Option<Integer> GRAPH_EF_CONSTRUCTION = Options.key("graph.ef-construction")
            .intType()
            .defaultValue(GraphParams.DEFAULT_BEAM_WIDTH)
            .withDescription("Candidates considered for each node while building a graph (HNSW's efConstruction).");

    public static final Option<Float> GRAPH_ALPHA = Options.key("graph.alpha")
            .floatType()
            .defaultValue(GraphParams.DEFAULT_ALPHA)
            .withDescription(
                    "Diversity of a graph's edges (1 keeps the nearest neighbours; more keeps longer" + " edges too).");

    public static final Option<Integer> GRAPH_PQ_SUBSPACES = Options.key("graph.pq-subspaces")
            .intType()
            .defaultValue(-1)
            .withDescription("Product-quantization subspaces of the compressed vectors a graph walk scores (one byte"
                    + " each per vector, held in a server's heap; the full vectors stay mapped and re-rank)."
                    + " -1: the measured default for the model's dimension; 0: walk the full vectors.");

    public static final Option<Long> SEGMENT_MAX_ROWS = Options.key("segment.max-rows")
            .longType()
            .defaultValue(SegmentSettings.DEFAULT_MAX_ROWS)
            .withDescription("Most rows of one segment; a shard with more is written as several segments, each with"
                    + " its own graph.");

    public static final Option<Integer> SEGMENT_BUILD_THREADS = Options.key("segment.build-threads")
            .intType()
            .defaultValue(1)
            .withDescription("Threads each writer task builds a segment's graph with (every writer task builds its"
                    + " own shards' graphs at once, so the default keeps one per task slot).");

    public static final Option<Duration> PROGRESS_INTERVAL = Options.key("progress-interval")
            .durationType()
            .defaultValue(Duration.ofSeconds(10))
            .withDescription("How often the launcher prints a progress line while the job runs (read, fetched,"
                    + " embedded, indexed, duplicates, failed, the rate, the share done and an ETA when the input's"
                    + " size is known).");
    public static final Option<Integer> WEB_UI = Options.key("web-ui")
            .intType()
            .noDefaultValue()
            .withDescription("Serve Flink's web UI on 127.0.0.1 at this port while an embedded (local) run goes on;"
                    + " a cluster serves its own.");
    public static final Option<Boolean> QUIET = Options.key("quiet")
            .booleanType()
            .defaultValue(false)
            .withDescription("No progress lines (the summary at the end is still printed).");
    public static final Option<Integer> RETAIN = Options.key("retain")
            .intType()
            .defaultValue(0)
            .withDescription("After each commit, keep the last N generations and delete older ones with every file"
                    + " only they list (never a file a kept generation lists, never files of a commit in"
                    + " progress); 0 keeps every generation. A stream commits a generation per checkpoint: set it.");

    /** Every option, in the order {@code --help} lists them. */
    public static final List<Option<?>> ALL = List.of(
            MODE,
            INPUT,
            OUTPUT,
            NAME,
            SHARDS,
            THUMBNAIL_SIZE,
            MODEL,
            MODEL_CACHE,
            PARALLELISM,
            ALLOW_PRIVATE_NETWORKS,
            ALLOW_NETWORK,
            ALLOW_FILE_ROOT,
            FETCH_CONNECT_TIMEOUT,
            FETCH_READ_TIMEOUT,
            FETCH_REQUEST_TIMEOUT,
            FETCH_TOTAL_TIMEOUT,
            FETCH_MAX_BYTES,
            FETCH_MAX_REDIRECTS,
            FETCH_MAX_ATTEMPTS,
            FETCH_BACKOFF,
            FETCH_BACKOFF_MAX,
            FETCH_PER_HOST,
            FETCH_MAX_CONNECTIONS,
            FETCH_MAX_IN_FLIGHT,
            FETCH_USER_AGENT,
            FETCH_IO_THREADS,
            DecodeLimitOptions.MAX_PIXELS,
            DecodeLimitOptions.MAX_SIDE,
            DecodeLimitOptions.MAX_ASPECT_RATIO,
            DecodeLimitOptions.MAX_SCANS,
            DecodeLimitOptions.TIMEOUT,
            EMBED_BATCH_SIZE,
            EMBED_MAX_WAIT,
            EMBED_INTRA_OP_THREADS,
            EMBED_INTER_OP_THREADS,
            EMBED_DEVICE,
            EMBED_TIMEOUT,
            NEAR_DUP,
            NEAR_DUP_THRESHOLD,
            NEAR_DUP_TABLES,
            NEAR_DUP_BITS,
            NEAR_DUP_PROBES,
            NEAR_DUP_BUCKET_CAPACITY,
            NEAR_DUP_COMPARED,
            NEAR_DUP_PARTITIONS,
            NEAR_DUP_PARTITION_MARGIN,
            NEAR_DUP_ROUTING_WAIT,
            RABBITMQ_URI,
            QUEUE,
            RABBITMQ_QUEUE_TYPE,
            RABBITMQ_PREFETCH,
            RABBITMQ_DELIVERY_TIMEOUT,
            BASE_GENERATION,
            APPEND_TO,
            CHECKPOINT_INTERVAL,
            CHECKPOINT_DIR,
            SAVEPOINT_DIR,
            FROM_SAVEPOINT,
            RESUME,
            NEAR_DUP_TTL,
            OUTPUT_FILE_SIZE,
            GRAPH_M,
            GRAPH_EF_CONSTRUCTION,
            GRAPH_ALPHA,
            GRAPH_PQ_SUBSPACES,
            SEGMENT_MAX_ROWS,
            SEGMENT_BUILD_THREADS,
            RETAIN,
            PROGRESS_INTERVAL,
            QUIET,
            WEB_UI);
}
