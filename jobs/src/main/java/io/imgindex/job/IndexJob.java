package io.imgindex.job;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.format.Manifest;
import io.imgindex.input.UrlListFormat;
import io.imgindex.item.Item;
import io.imgindex.output.GenerationTarget;
import io.imgindex.stream.UrlQueueSource;
import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.BatchExecutionOptions;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.connector.file.src.FileSource;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * The indexing job, batch or streaming: image URLs in (URL lists, or a RabbitMQ queue), committed generations of
 * the index out.
 *
 * <p>The job is built in three steps, each its own method, the same for both modes and for every place it runs:
 * {@link #flinkConfiguration} (Flink settings the job needs), {@link JobPlan#prepare} (the run's I/O before Flink
 * starts, after the model is resolved in its own step) and {@link #build} (the operators, from a {@link #source}).
 * {@link #main} is the entry point on a cluster (the shaded jar's main class; a FlinkDeployment's
 * {@code entryClass}): it submits the job to the cluster it was started by and waits for it when attached. The
 * command line's local run, with its embedded MiniCluster, signals, savepoints and progress lines, is {@code
 * io.imgindex.cli.IndexCommand}. Flags are {@link IndexOptions}; {@code --conf KEY=VALUE} passes Flink settings.
 */
public final class IndexJob {

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

    /** The uid of the stream's source: the savepoint state of the queue's unacknowledged ids is keyed by it. */
    public static final String SOURCE_UID = "rabbitmq-source";

    /** The cluster entry point's command: flags, help, and {@link #submit}. */
    static final Command ON_CLUSTER =
            new Command("index", USAGE, SUMMARY, IndexOptions.ALL, Flags.Conf.FLINK, false, (parsed, out) -> {
                Result result = submit(IndexJobConfig.from(parsed.options()), parsed.flinkConf());
                out.print(RunSummary.of(result));
                return 0;
            });

    /**
     * What a run produced.
     *
     * @param manifest the committed manifest (a stream's latest), or null when nothing is committed yet (a job
     *     submitted detached, a stream that committed nothing)
     * @param savepoint the savepoint a local stream stopped with, or null
     */
    public record Result(
            Manifest manifest,
            String manifestPath,
            Duration took,
            String nearDuplicates,
            String savepoint,
            boolean streaming) {}

    private IndexJob() {}

    /**
     * Runs the job on the cluster that started this JVM ({@code flink run}, the Kubernetes operator). It returns
     * rather than exits: in application mode this method runs inside the job manager.
     */
    public static void main(String[] args) throws Exception {
        ON_CLUSTER.run(args, System.out);
    }

    /**
     * Submits the job to the environment's cluster and, when the cluster waits for it (attached), waits until it
     * ends. Tests run it on their MiniCluster this way; a stream submitted attached runs until stopped from outside.
     *
     * @param flinkSettings Flink settings ({@code --conf})
     * @throws IllegalArgumentException if an input, or the generation to build on, does not exist or does not fit
     */
    public static Result submit(IndexJobConfig config, Map<String, String> flinkSettings) throws Exception {
        long start = System.nanoTime();
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(
                flinkConfiguration(config, flinkSettings, config.fromSavepoint()));
        if (config.parallelism() != null) {
            env.setParallelism(config.parallelism());
        }
        JobModel model = config.resolveModel();
        JobPlan plan = JobPlan.prepare(config, model, env, config.fromSavepoint() != null);
        if (plan.streaming()) {
            configureCheckpoints(env, config, null);
        }
        build(env, plan, source(env, plan));
        JobExecutionResult execution = env.execute(plan.jobName());
        if (!execution.isJobExecutionResult()) {
            // Submitted detached (flink run -d, application clusters): the committer writes the manifests later.
            System.out.println(
                    plan.streaming()
                            ? "imgindex: submitted stream job " + execution.getJobID() + " (stream run "
                                    + plan.target().streamRun()
                                    + "); it runs until stopped with a savepoint or cancelled"
                            : "imgindex: submitted job " + execution.getJobID() + " (generation "
                                    + plan.target().generation() + ")");
        }
        return plan.result(execution.isJobExecutionResult(), Duration.ofNanos(System.nanoTime() - start), null);
    }

    /**
     * The Flink settings of a run: {@code --conf}'s, with what the job needs over them (its runtime mode; no
     * generic types; in BATCH, the parallelism asked for on every operator; the savepoint a stream restores from).
     *
     * @param restoreFrom the savepoint or checkpoint a stream restores from, or null
     */
    public static Configuration flinkConfiguration(
            IndexJobConfig config, Map<String, String> flinkSettings, String restoreFrom) {
        Configuration flinkConf = Configuration.fromMap(flinkSettings);
        flinkConf.set(
                ExecutionOptions.RUNTIME_MODE,
                config.streaming() ? RuntimeExecutionMode.STREAMING : RuntimeExecutionMode.BATCH);
        flinkConf.set(PipelineOptions.GENERIC_TYPES, false);
        if (!config.streaming()
                && !flinkSettings.containsKey(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED.key())) {
            // Flink would size tasks by bytes, and a list of URLs is few bytes for hours of fetching and
            // embedding: use the parallelism asked for on every operator instead.
            flinkConf.set(BatchExecutionOptions.ADAPTIVE_AUTO_PARALLELISM_ENABLED, false);
        }
        if (restoreFrom != null) {
            flinkConf.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
        }
        return flinkConf;
    }

    /**
     * The job's input: the URL lists' lines (BATCH), or the queue's messages (STREAMING). The RabbitMQ connector
     * has only a {@code SourceFunction} (no FLIP-27 source), hence the deprecated {@code addSource}.
     */
    @SuppressWarnings("deprecation")
    public static DataStream<Item> source(StreamExecutionEnvironment env, JobPlan plan) {
        TypeInformation<Item> itemType = TypeInformation.of(Item.class);
        if (plan.streaming()) {
            return env.addSource(
                            new UrlQueueSource(plan.config().queue()),
                            "rabbitmq " + plan.config().queue().queue(),
                            itemType)
                    .setParallelism(1)
                    .uid(SOURCE_UID);
        }
        FileSource<Item> lists = FileSource.forBulkFileFormat(
                        new UrlListFormat(), plan.inputs().toArray(new Path[0]))
                .build();
        return env.fromSource(lists, WatermarkStrategy.noWatermarks(), "url lists", itemType)
                .uid("url-lists");
    }

    /**
     * Adds the pipeline, from {@code items} to the commit, to the environment.
     *
     * @param items the plan's {@link #source} (tests put a step of their own after it)
     * @throws IOException if the manifest of the generation a batch run appends to cannot be read
     */
    public static void build(StreamExecutionEnvironment env, JobPlan plan, DataStream<Item> items) throws IOException {
        plan.log();
        GenerationTarget target = plan.target();
        if (plan.streaming()) {
            IndexPipeline.build(items, plan.config(), plan.model(), target, false)
                    .sinkTo(new DiscardingSink<>())
                    .name("done")
                    .setParallelism(1);
            return;
        }
        DataStream<Item> baseItems = target.baseGeneration() > 0 ? CompactJob.baseItems(env, target) : null;
        IndexPipeline.build(items, baseItems, plan.config(), plan.model(), target, true)
                .sinkTo(new DiscardingSink<>())
                .name("done");
    }

    /**
     * Checkpointing for a stream: the interval, exactly-once aligned barriers (the commit protocol needs every
     * report before barrier c to reach the committer before it snapshots c), checkpoints retained on cancellation,
     * and the folders asked for.
     *
     * @param defaultDir where checkpoints go when neither {@code --checkpoint-dir} nor the cluster says, or null
     * @return where the checkpoints go, or null when the cluster decides
     */
    public static String configureCheckpoints(
            StreamExecutionEnvironment env, IndexJobConfig config, String defaultDir) {
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval(env, config));
        c.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        c.set(CheckpointingOptions.ENABLE_UNALIGNED, false);
        c.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        String checkpoints = config.checkpointDir() != null
                ? config.checkpointDir()
                : env.getConfiguration()
                        .getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY)
                        .orElse(defaultDir);
        if (checkpoints != null) {
            checkpoints = GenerationTarget.outputPath(checkpoints).toString();
            c.set(CheckpointingOptions.CHECKPOINTS_DIRECTORY, checkpoints);
        }
        if (config.savepointDir() != null) {
            c.set(
                    CheckpointingOptions.SAVEPOINT_DIRECTORY,
                    GenerationTarget.outputPath(config.savepointDir()).toString());
        }
        env.configure(c);
        return checkpoints;
    }

    /**
     * How often checkpoints (and so commits) happen: {@code --checkpoint-interval} when given, else the
     * {@code execution.checkpointing.interval} of the cluster or of {@code --conf}, else 10 s. A default of the job's
     * own must not override what a cluster's operator configured.
     */
    public static Duration checkpointInterval(StreamExecutionEnvironment env, IndexJobConfig config) {
        if (config.checkpointInterval() != null) {
            return config.checkpointInterval();
        }
        return env.getConfiguration()
                .getOptional(CheckpointingOptions.CHECKPOINTING_INTERVAL)
                .orElse(IndexOptions.DEFAULT_CHECKPOINT_INTERVAL);
    }
}
