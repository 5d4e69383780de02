package io.imgindex.job;

import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.item.Item;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.Generations;
import io.imgindex.stream.UrlQueueSource;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.ExternalizedCheckpointRetention;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.configuration.StateRecoveryOptions;
import org.apache.flink.core.execution.CheckpointingMode;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
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
 * The streaming job: image URLs from a RabbitMQ queue through the same pipeline as the batch job, with exactly-once
 * checkpoints, each completed checkpoint published as a generation (see {@code StreamingCommitter}).
 *
 * <p>On a cluster {@link #run} submits the job and waits for it; the cluster (or the Flink Kubernetes Operator)
 * takes savepoints and restores. On the embedded MiniCluster of {@code bin/imgindex}, the job runs until SIGTERM
 * or Ctrl-C, then stops <em>with a savepoint</em> and prints its path; {@code --from-savepoint PATH} restores it.
 */
public final class StreamingRun {

    private static final Logger LOG = LoggerFactory.getLogger(StreamingRun.class);

    /** The uid of the source: the savepoint state of the queue's unacknowledged ids is keyed by it. */
    public static final String SOURCE_UID = "rabbitmq-source";

    private StreamingRun() {}

    /**
     * A future completed by the first SIGTERM or SIGINT. The JVM's default handlers are replaced, so the process
     * does not start shutting down (which would tear the embedded cluster down under the savepoint); a second
     * signal while stopping exits at once.
     */
    public static CompletableFuture<Void> stopOnSignal() {
        CompletableFuture<Void> stop = new CompletableFuture<>();
        for (String name : List.of("TERM", "INT")) {
            try {
                Signals.handle(name, () -> {
                    if (!stop.complete(null)) {
                        System.err.println("imgindex: second signal, exiting without waiting for the savepoint");
                        Runtime.getRuntime().halt(130);
                    }
                });
            } catch (IllegalArgumentException e) {
                // The signal is not available on this platform (or reserved by the JVM): one less way to stop.
                LOG.debug("Cannot handle SIG{}: {}", name, e.getMessage());
            }
        }
        return stop;
    }

    /**
     * Runs the streaming job.
     *
     * @param stop on an embedded cluster, completing it stops the job with a savepoint; ignored on a cluster
     * @param progress receives a line for people when the job starts and at every commit
     */
    public static IndexJob.Result run(
            IndexJobConfig config,
            Map<String, String> flinkSettings,
            CompletableFuture<?> stop,
            Consumer<String> progress)
            throws Exception {
        return run(config, flinkSettings, stop, progress, UnaryOperator.identity());
    }

    /** The same with a step between the source and the pipeline (tests inject failures there). */
    static IndexJob.Result run(
            IndexJobConfig config,
            Map<String, String> flinkSettings,
            CompletableFuture<?> stop,
            Consumer<String> progress,
            UnaryOperator<DataStream<Item>> afterSource)
            throws Exception {
        long start = System.nanoTime();
        Configuration flinkConf = Configuration.fromMap(flinkSettings);
        flinkConf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.STREAMING);
        flinkConf.set(PipelineOptions.GENERIC_TYPES, false);
        JobModel model = config.resolveModel();
        GenerationTarget target = target(config, model, Instant.now());
        String restoreFrom = config.fromSavepoint();
        CrashedRuns.Found crashed = null;
        if (restoreFrom == null
                && config.resume()
                && StreamExecutionEnvironment.getExecutionEnvironment(Configuration.fromMap(flinkSettings))
                        instanceof LocalStreamEnvironment) {
            crashed = CrashedRuns.find(target.indexRoot()).orElse(null);
            if (crashed != null) {
                restoreFrom = crashed.checkpoint();
                progress.accept("imgindex: the last stream on this index (job " + crashed.job()
                        + ") did not stop with a savepoint: restoring from its latest checkpoint, " + restoreFrom
                        + " (--no-resume starts fresh)");
            }
        }
        if (restoreFrom != null) {
            flinkConf.set(StateRecoveryOptions.SAVEPOINT_PATH, restoreFrom);
        }
        IndexJob.forLocalRuns(flinkConf, flinkSettings, config);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        boolean local = env instanceof LocalStreamEnvironment;
        if (local) {
            IndexJob.webUi(config).ifPresent(progress);
        }
        if (restoreFrom == null) {
            // A fresh stream builds on a committed generation (a restored one carries its own in its state).
            target = target.streaming(target.streamRun(), target.inputs(), base(config, target));
        }
        String root = target.indexRoot().toString();
        String checkpointsDir = configureCheckpoints(env, config, flinkSettings, local, root);
        if (local) {
            FileSystem.initialize(flinkConf, PluginUtils.createPluginManagerFromRootFolder(flinkConf));
            if (!flinkSettings.containsKey(RestartStrategyOptions.RESTART_STRATEGY.key())) {
                // A broker that is down should end a local run with its error, not retry for ever.
                Configuration restart = new Configuration();
                restart.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
                restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
                restart.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
                env.configure(restart);
            }
            if (config.parallelism() == null) {
                env.setParallelism(Runtime.getRuntime().availableProcessors());
            }
        }
        if (config.parallelism() != null) {
            env.setParallelism(config.parallelism());
        }
        build(env, config, model, target, afterSource);
        String jobName =
                "imgindex stream " + config.name() + " from " + config.queue().queue();
        LOG.info("Near-duplicates: {}", model.nearDupNote());
        if (!local) {
            JobExecutionResult r = env.execute(jobName);
            if (r.isJobExecutionResult()) {
                LOG.info("Job {} ended", r.getJobID());
            } else {
                // Submitted detached (flink run -d, application clusters): it runs until stopped or cancelled.
                progress.accept("imgindex: submitted stream job " + r.getJobID() + " (stream run " + target.streamRun()
                        + "); it runs until stopped with a savepoint or cancelled");
            }
            return result(target, start, model, null);
        }
        JobClient client = env.executeAsync(jobName);
        CrashedRuns.mark(target.indexRoot(), client.getJobID(), checkpointsDir);
        if (crashed != null) {
            CrashedRuns.clear(crashed.marks()); // this run carries them on, and marks itself
        }
        String savepointDir = config.savepointDir() != null
                ? config.savepointDir()
                : new Path(target.indexRoot(), "_flink/savepoints").toString();
        progress.accept("imgindex: streaming " + config.queue().uri() + " queue '"
                + config.queue().queue()
                + "' into " + root + " (job " + client.getJobID() + ", stream run " + target.streamRun() + ")"
                + (restoreFrom != null ? ", restored from " + restoreFrom : "")
                + (target.baseGeneration() > 0 ? ", building on generation " + target.baseGeneration() : "")
                + "\n  each checkpoint (every "
                + checkpointInterval(env, config).toMillis() / 1000.0
                + " s) with new rows becomes a generation; stop with Ctrl-C or SIGTERM (a savepoint goes to "
                + savepointDir + ")");
        CompletableFuture<JobExecutionResult> done = client.getJobExecutionResult();
        long shown = latestGeneration(target).orElse(-1L);
        String savepoint = null;
        Duration every = config.progressInterval();
        ProgressReporter reporter = every == null ? null : new ProgressReporter(OptionalLong.empty(), progress);
        long nextReport = System.nanoTime() + (every == null ? 0 : every.toNanos());
        while (true) {
            if (reporter != null && System.nanoTime() >= nextReport && !stop.isDone()) {
                nextReport = System.nanoTime() + every.toNanos();
                reporter.reportFrom(client, Duration.ofSeconds(5));
            }
            if (stop.isDone() && savepoint == null) {
                progress.accept("imgindex: stopping with a savepoint ...");
                savepoint = stopWithSavepoint(client, done, savepointDir);
                if (savepoint != null) {
                    CrashedRuns.clear(target.indexRoot(), client.getJobID()); // resumed from its savepoint, if at all
                }
            }
            try {
                done.get(500, TimeUnit.MILLISECONDS);
                break;
            } catch (TimeoutException e) {
                // Still running: report new commits, then wait again.
            }
            long latest = latestGeneration(target).orElse(-1L);
            if (latest > shown) {
                shown = latest;
                Manifest m = manifest(target, latest);
                if (m != null && target.streamRun().equals(m.run().stream())) {
                    progress.accept("  generation " + latest + " (checkpoint "
                            + m.run().checkpoint() + "): " + m.counts().summary());
                }
            }
        }
        return result(target, start, model, savepoint);
    }

    /**
     * Stops the job with a savepoint, trying again while it cannot be taken yet (tasks still starting, or
     * restarting after a failure), for up to two minutes.
     *
     * @return the savepoint's path, or null if the job ended by itself meanwhile
     */
    private static String stopWithSavepoint(
            JobClient client, CompletableFuture<JobExecutionResult> done, String savepointDir) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
        while (true) {
            try {
                return client.stopWithSavepoint(false, savepointDir, SavepointFormatType.CANONICAL)
                        .get();
            } catch (java.util.concurrent.ExecutionException e) {
                if (done.isDone() || System.nanoTime() > deadline) {
                    if (done.isDone()) {
                        return null;
                    }
                    throw e;
                }
                // Typically "not all required tasks are currently running": the job is (re)starting.
                LOG.info("No savepoint yet ({}); trying again", rootMessage(e));
                Thread.sleep(500);
            }
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return String.valueOf(t.getMessage());
    }

    /**
     * Adds the source and the pipeline to the environment. The RabbitMQ connector has only a {@code SourceFunction}
     * (no FLIP-27 source), hence the deprecated {@code addSource}.
     */
    @SuppressWarnings("deprecation")
    static void build(
            StreamExecutionEnvironment env,
            IndexJobConfig config,
            JobModel model,
            GenerationTarget target,
            UnaryOperator<DataStream<Item>> afterSource) {
        DataStream<Item> items = env.addSource(
                        new UrlQueueSource(config.queue()),
                        "rabbitmq " + config.queue().queue(),
                        TypeInformation.of(Item.class))
                .setParallelism(1)
                .uid(SOURCE_UID);
        IndexPipeline.build(afterSource.apply(items), config, model, target, false)
                .sinkTo(new DiscardingSink<>())
                .name("done")
                .setParallelism(1);
    }

    /** The target of a streaming run: a new run folder under {@code streams/}, whatever it is restored from. */
    public static GenerationTarget target(IndexJobConfig config, JobModel model, Instant startedAt) {
        return IndexJob.target(config, model, startedAt)
                .streaming(List.of("amqp:" + config.queue().queue()), 0);
    }

    /**
     * The generation {@code --base-generation} names, checked against the job: the same model and shards.
     *
     * @return its number, 0 for none
     */
    static long base(IndexJobConfig config, GenerationTarget target) throws IOException {
        return BaseGeneration.resolve(
                "--base-generation", config.baseGeneration(), "give --base-generation none", target);
    }

    /**
     * How often checkpoints (and so commits) happen: {@code --checkpoint-interval} when given, else the
     * {@code execution.checkpointing.interval} of the cluster or of {@code --conf}, else 10 s. A default of the job's
     * own must not override what a cluster's operator configured.
     */
    static Duration checkpointInterval(StreamExecutionEnvironment env, IndexJobConfig config) {
        if (config.checkpointInterval() != null) {
            return config.checkpointInterval();
        }
        return env.getConfiguration()
                .getOptional(CheckpointingOptions.CHECKPOINTING_INTERVAL)
                .orElse(IndexOptions.DEFAULT_CHECKPOINT_INTERVAL);
    }

    /** @return where the checkpoints go (always known on an embedded cluster), or null when a cluster decides */
    private static String configureCheckpoints(
            StreamExecutionEnvironment env,
            IndexJobConfig config,
            Map<String, String> flinkSettings,
            boolean local,
            String indexRoot) {
        Configuration c = new Configuration();
        c.set(CheckpointingOptions.CHECKPOINTING_INTERVAL, checkpointInterval(env, config));
        // The commit protocol needs aligned exactly-once barriers: every report before barrier c reaches the
        // committer before it snapshots c.
        c.set(CheckpointingOptions.CHECKPOINTING_CONSISTENCY_MODE, CheckpointingMode.EXACTLY_ONCE);
        c.set(CheckpointingOptions.ENABLE_UNALIGNED, false);
        c.set(
                CheckpointingOptions.EXTERNALIZED_CHECKPOINT_RETENTION,
                ExternalizedCheckpointRetention.RETAIN_ON_CANCELLATION);
        String checkpoints = config.checkpointDir() != null
                ? config.checkpointDir()
                : local && !flinkSettings.containsKey(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())
                        ? localCheckpoints(indexRoot)
                        : null;
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
        return checkpoints != null ? checkpoints : flinkSettings.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key());
    }

    /** Where an embedded cluster's checkpoints go unless told otherwise. */
    private static String localCheckpoints(String indexRoot) {
        return indexRoot + "/_flink/checkpoints";
    }

    private static IndexJob.Result result(GenerationTarget target, long start, JobModel model, String savepoint) {
        Optional<Long> latest = latestGeneration(target);
        Manifest m = latest.map(n -> manifest(target, n)).orElse(null);
        String path = latest.map(
                        n -> Generations.manifestPath(target.indexRoot(), n).toString())
                .orElse(null);
        return new IndexJob.Result(
                m, path, Duration.ofNanos(System.nanoTime() - start), model.nearDupNote(), savepoint, true);
    }

    private static Optional<Long> latestGeneration(GenerationTarget target) {
        try {
            return Generations.readLatest(target.indexRoot()).map(LatestPointer::generation);
        } catch (IOException | RuntimeException e) {
            // A pointer being replaced, or the store briefly unreachable: the next look will tell.
            return Optional.empty();
        }
    }

    private static Manifest manifest(GenerationTarget target, long generation) {
        try {
            return Generations.readManifest(Generations.manifestPath(target.indexRoot(), generation));
        } catch (IOException | RuntimeException e) {
            // Not there (yet), or unreadable: callers treat it as no commit to show.
            return null;
        }
    }

    /** The lines printed when a streaming run ends. */
    static String summary(IndexJob.Result r) {
        StringBuilder s = new StringBuilder();
        if (r.savepoint() != null) {
            s.append("imgindex: stopped with a savepoint at ")
                    .append(r.savepoint())
                    .append('\n');
            s.append("  resume with the same command and --from-savepoint ")
                    .append(r.savepoint())
                    .append('\n');
        } else {
            s.append("imgindex: no savepoint taken (the job was submitted detached, or ended by itself)\n");
        }
        Manifest m = r.manifest();
        if (m == null) {
            s.append("  nothing committed yet\n");
        } else {
            s.append("  latest generation ")
                    .append(m.generation())
                    .append(" of index '")
                    .append(m.indexName())
                    .append("' at ")
                    .append(r.manifestPath())
                    .append('\n');
            s.append(IndexJob.countLines(m));
        }
        s.append(String.format("  ran %.1f s%n", r.took().toMillis() / 1000.0));
        return s.toString();
    }
}
