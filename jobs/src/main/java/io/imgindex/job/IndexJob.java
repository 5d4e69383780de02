package io.imgindex.job;

import io.imgindex.flags.Flags;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.Manifest;
import io.imgindex.format.SegmentInfo;
import io.imgindex.input.UrlListFormat;
import io.imgindex.item.Item;
import io.imgindex.output.CommitWrites;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.Generations;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.BatchExecutionOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.DeploymentOptions;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch indexing job: URL lists in, one new committed generation of the index out.
 *
 * <p>{@link #main} is the entry point on a cluster (the shaded jar's main class); {@code bin/imgindex index}
 * runs the same code on an embedded MiniCluster. Flags are {@link IndexOptions}; {@code --conf KEY=VALUE}
 * passes Flink settings.
 */
public final class IndexJob {

    private static final Logger LOG = LoggerFactory.getLogger(IndexJob.class);

    /** The {@code --help} text. */
    public static final String USAGE = "imgindex index --input PATH [--input PATH ...] [--output DIR_OR_URI]"
            + " [--name NAME] [options]\n       imgindex index --mode streaming --queue NAME [--rabbitmq-uri"
            + " amqp://HOST:PORT/VHOST] [--output DIR_OR_URI] [--name NAME] [--from-savepoint PATH] [options]";

    public static final String SUMMARY = "Indexes the images listed in URL files: fetches, validates and"
            + " decodes each one, embeds it with a TensorFlow model, drops exact and near-identical duplicates, and"
            + " writes a new generation of Parquet files under <output>/<name>/generation=<n>/, with a manifest and"
            + " the _LATEST pointer. Every URL ends in the index, the duplicates or the failures table. With --mode"
            + " streaming it reads URLs from a RabbitMQ queue until stopped, exactly once, and publishes every"
            + " completed checkpoint as a new generation.";

    /**
     * What a run produced.
     *
     * @param manifest the committed manifest, or null when the job was submitted detached and is still running
     */
    public record Result(
            Manifest manifest,
            String manifestPath,
            Duration took,
            String nearDuplicates,
            String savepoint,
            boolean streaming) {

        public Result(Manifest manifest, String manifestPath, Duration took) {
            this(manifest, manifestPath, took, null, null, false);
        }

        public Result(Manifest manifest, String manifestPath, Duration took, String nearDuplicates) {
            this(manifest, manifestPath, took, nearDuplicates, null, false);
        }
    }

    private IndexJob() {}

    /** Runs the job on whatever cluster the environment points to. */
    public static void main(String[] args) throws Exception {
        Flags.Parsed parsed = Flags.parse(args, IndexOptions.ALL, Flags.Conf.FLINK);
        if (parsed.help()) {
            System.out.println(Flags.help(USAGE, SUMMARY, IndexOptions.ALL, Flags.Conf.FLINK));
            return;
        }
        Result result = run(IndexJobConfig.from(parsed.options()), parsed.flinkConf());
        System.out.println(summary(result));
    }

    /**
     * Runs one indexing job and waits for it.
     *
     * @param flinkSettings Flink settings ({@code --conf}); for local runs also what the S3 plugin reads
     * @throws IllegalArgumentException if an input does not exist
     */
    public static Result run(IndexJobConfig config, Map<String, String> flinkSettings) throws Exception {
        if (config.streaming()) {
            return StreamingRun.run(config, flinkSettings, StreamingRun.stopOnSignal(), System.out::println);
        }
        long start = System.nanoTime();
        Configuration flinkConf = Configuration.fromMap(flinkSettings);
        flinkConf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        flinkConf.set(PipelineOptions.GENERIC_TYPES, false);
        if (!flinkSettings.containsKey(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED.key())) {
            // Flink would size tasks by bytes, and a list of URLs is few bytes for hours of fetching and
            // embedding: use the parallelism asked for on every operator instead.
            flinkConf.set(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED, false);
        }
        forLocalRuns(flinkConf, flinkSettings, config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        if (env instanceof LocalStreamEnvironment) {
            webUi(config).ifPresent(System.out::println);
            // A cluster loads file system plugins itself; an embedded MiniCluster does not.
            FileSystem.initialize(flinkConf, PluginUtils.createPluginManagerFromRootFolder(flinkConf));
            if (config.parallelism() == null) {
                env.setParallelism(Runtime.getRuntime().availableProcessors());
            }
        }
        if (config.parallelism() != null) {
            env.setParallelism(config.parallelism());
        }
        JobModel model = config.resolveModel();
        GenerationTarget target = target(config, model, Instant.now());
        long base = config.appendTo() == null
                ? 0
                : BaseGeneration.resolve("--append-to", config.appendTo(), "leave --append-to out", target);
        List<Path> inputs = inputPaths(config.inputs(), target);
        long generation = Generations.reserveNext(
                target.indexRoot(),
                "{\"started_at\":\"" + target.startedAt() + "\"}\n",
                CommitWrites.storeSettings(env));
        target = target.withGeneration(generation).withBase(base);

        FileSource<Item> source = FileSource.forBulkFileFormat(new UrlListFormat(), inputs.toArray(new Path[0]))
                .build();
        DataStream<Item> items = env.fromSource(
                        source, WatermarkStrategy.noWatermarks(), "url lists", TypeInformation.of(Item.class))
                .uid("url-lists");
        DataStream<Item> baseItems = base > 0 ? CompactJob.baseItems(env, target) : null;
        IndexPipeline.build(items, baseItems, config, model, target, true)
                .sinkTo(new DiscardingSink<>())
                .name("done");
        LOG.info("Indexing {} into {} (generation {})", config.inputs(), target.generationDir(), generation);
        if (base > 0) {
            LOG.info(
                    "Appending to generation {}: its rows are listed as they are, new images checked against them",
                    base);
        } else if (config.appendTo() != null) {
            LOG.info(
                    "--append-to {}: index {} has no generation yet, so this run starts it",
                    config.appendTo(),
                    config.name());
        }
        LOG.info("Near-duplicates: {}", model.nearDupNote());
        JobExecutionResult execution =
                execute(env, "imgindex index " + config.name() + " generation " + generation, config, inputs);
        Path manifestPath = new Path(target.generationDir(), IndexLayout.MANIFEST);
        if (!execution.isJobExecutionResult()) {
            // Submitted detached (a cluster that does not wait): the committer writes the manifest later.
            LOG.info("Submitted job {} detached; its manifest will be {}", execution.getJobID(), manifestPath);
            return new Result(
                    null, manifestPath.toString(), Duration.ofNanos(System.nanoTime() - start), model.nearDupNote());
        }
        Manifest manifest = Generations.readManifest(manifestPath);
        return new Result(
                manifest, manifestPath.toString(), Duration.ofNanos(System.nanoTime() - start), model.nearDupNote());
    }

    /**
     * Settings that only an embedded MiniCluster reads (a cluster keeps its own): heartbeats often enough for the
     * progress lines (task managers report accumulators with them), and the web UI on loopback when asked for.
     */
    static void forLocalRuns(Configuration flinkConf, Map<String, String> flinkSettings, IndexJobConfig config) {
        if (!flinkSettings.containsKey(HeartbeatManagerOptions.HEARTBEAT_INTERVAL.key())) {
            flinkConf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(2));
        }
        if (config.webUiPort() != null) {
            flinkConf.set(RestOptions.ADDRESS, "127.0.0.1");
            flinkConf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            flinkConf.set(RestOptions.BIND_PORT, String.valueOf(config.webUiPort()));
            flinkConf.set(RestOptions.PORT, config.webUiPort());
        }
    }

    /** The line that says where the web UI of a local run is, if one was asked for. */
    static Optional<String> webUi(IndexJobConfig config) {
        return Optional.ofNullable(config.webUiPort())
                .map(port -> "imgindex: Flink's web UI at http://127.0.0.1:" + port + "/ while the job runs");
    }

    /**
     * Runs the job and, attached, prints a progress line every {@code --progress-interval} until it ends. Detached
     * (a cluster that does not wait), submits and returns.
     */
    private static JobExecutionResult execute(
            StreamExecutionEnvironment env, String name, IndexJobConfig config, List<Path> inputs) throws Exception {
        Duration interval = config.progressInterval();
        if (interval == null || !env.getConfiguration().get(DeploymentOptions.ATTACHED)) {
            return env.execute(name);
        }
        ProgressReporter progress = new ProgressReporter(ProgressReporter.countLines(inputs), System.out::println);
        JobClient client = env.executeAsync(name);
        CompletableFuture<JobExecutionResult> done = client.getJobExecutionResult();
        while (true) {
            try {
                return done.get(interval.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                progress.reportFrom(client, interval);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }
    }

    static GenerationTarget target(IndexJobConfig config, JobModel model, Instant startedAt) {
        return new GenerationTarget(
                config.output(),
                config.name(),
                0,
                config.shards(),
                model.card().id(),
                model.card().dimension(),
                model.card().metric(),
                config.fileSizeBytes(),
                RuntimeExecutionMode.BATCH.name(),
                config.inputs(),
                startedAt.toString(),
                config.explicitOptions(),
                GenerationTarget.newRunId(startedAt));
    }

    private static List<Path> inputPaths(List<String> inputs, GenerationTarget target) throws IOException {
        List<Path> paths = new ArrayList<>();
        for (String in : inputs) {
            if (GenerationInput.isGeneration(in)) {
                // A backfill: the generation's rows, as a list under the new index.
                paths.add(GenerationInput.materialise(
                        in, target.indexRoot(), target.startedAt().replaceAll("[^0-9A-Za-z]", "")));
                continue;
            }
            Path p = GenerationTarget.outputPath(in);
            if (!p.getFileSystem().exists(p)) {
                throw new IllegalArgumentException("--input " + in + ": no such file or folder");
            }
            paths.add(p);
        }
        return paths;
    }

    /** A generation's counts for people, and its failures by reason: {@code NOT_FOUND 1, HTTP_404 2}. */
    static String countLines(Manifest m) {
        StringBuilder s = new StringBuilder("  ").append(m.counts().summary()).append('\n');
        if (!m.counts().failedByReason().isEmpty()) {
            s.append("  failed by reason: ")
                    .append(m.counts().failuresByReason())
                    .append('\n');
        }
        return s.toString();
    }

    /** The lines printed when a run ends. */
    public static String summary(Result r) {
        Manifest m = r.manifest();
        if (r.streaming()) {
            return StreamingRun.summary(r);
        }
        if (m == null) {
            return "imgindex: job submitted; when it ends, its manifest is " + r.manifestPath() + "\n";
        }
        StringBuilder s = new StringBuilder();
        s.append("imgindex: committed generation ")
                .append(m.generation())
                .append(" of index '")
                .append(m.indexName())
                .append("' at ")
                .append(r.manifestPath())
                .append('\n');
        s.append(countLines(m));
        m.run().options().stream()
                .filter(o -> o.startsWith(IndexOptions.APPEND_TO.key() + "="))
                .findFirst()
                .ifPresent(o -> s.append("  appended (--")
                        .append(o.replace("=", " "))
                        .append("): the counts and the index include the generation it builds on\n"));
        s.append(String.format(
                "  model %s (%d dimensions, %s), %d shards, %d files, %.1f s%n",
                m.model().id(),
                m.model().dimension(),
                m.model().metric(),
                m.shards(),
                m.files().size(),
                r.took().toMillis() / 1000.0));
        s.append(segmentLine(m));
        if (r.nearDuplicates() != null) {
            s.append("  near-duplicates: ").append(r.nearDuplicates()).append('\n');
        }
        return s.toString();
    }

    /**
     * The segments a generation's writers built: {@code segments: 4 (39 rows), graphs built in 0.3 s of task time
     * (M 16, ef 100, alpha 1.2; full vectors walked)}. Empty for a generation without segments.
     */
    static String segmentLine(Manifest m) {
        if (m.segments().isEmpty()) {
            return "";
        }
        long rows = 0;
        long millis = 0;
        int compressed = 0;
        for (SegmentInfo s : m.segments()) {
            rows += s.rows();
            millis += s.buildMillis();
            compressed += s.graph().compressed() ? 1 : 0;
        }
        GraphParams p = m.segments().get(0).graph();
        String walk = compressed == 0
                ? "full vectors walked"
                : compressed + " walk PQ codes ("
                        + m.segments().stream()
                                .filter(x -> x.graph().compressed())
                                .findFirst()
                                .orElseThrow()
                                .graph()
                                .pqSubspaces()
                        + " subspaces)";
        return String.format(
                java.util.Locale.ROOT,
                "  segments: %d (%d rows), graphs built in %.1f s of task time (M %d, ef %d, alpha %.1f; %s)%n",
                m.segments().size(),
                rows,
                millis / 1000.0,
                p.maxDegree(),
                p.beamWidth(),
                p.alpha(),
                walk);
    }
}
