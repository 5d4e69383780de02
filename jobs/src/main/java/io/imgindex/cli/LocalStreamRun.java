package io.imgindex.cli;

import io.imgindex.format.Manifest;
import io.imgindex.item.Item;
import io.imgindex.job.IndexJob;
import io.imgindex.job.IndexJobConfig;
import io.imgindex.job.JobModel;
import io.imgindex.job.JobPlan;
import io.imgindex.output.GenerationTarget;
import java.time.Duration;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.CheckpointingOptions;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code imgindex index --mode streaming}: the streaming job on an embedded MiniCluster until a signal, then a stop
 * <em>with a savepoint</em>, whose path it prints; {@code --from-savepoint PATH} restores it. A run marks itself in
 * the index ({@link CrashedRuns}), so that after a crash the next start restores from the last checkpoint. On a
 * cluster, the cluster (or the Flink Kubernetes Operator) takes savepoints and restores, and none of this runs.
 */
public final class LocalStreamRun {

    private static final Logger LOG = LoggerFactory.getLogger(LocalStreamRun.class);

    /** How long a stop keeps asking for a savepoint while the job cannot take one yet. */
    private static final Duration SAVEPOINT_PATIENCE = Duration.ofMinutes(2);

    private LocalStreamRun() {}

    /**
     * Runs the stream until {@code stop} completes, then stops it with a savepoint.
     *
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
    public static IndexJob.Result run(
            IndexJobConfig config,
            Map<String, String> flinkSettings,
            CompletableFuture<?> stop,
            Consumer<String> progress,
            UnaryOperator<DataStream<Item>> afterSource)
            throws Exception {
        long start = System.nanoTime();
        IndexCommand.loadFileSystems(Configuration.fromMap(flinkSettings));
        Path indexRoot = new Path(GenerationTarget.outputPath(config.output()), config.name());
        String restoreFrom = config.fromSavepoint();
        CrashedRuns.Found crashed = null;
        if (restoreFrom == null && config.resume()) {
            crashed = CrashedRuns.find(indexRoot).orElse(null);
            if (crashed != null) {
                restoreFrom = crashed.checkpoint();
                progress.accept("imgindex: the last stream on this index (job " + crashed.job()
                        + ") did not stop with a savepoint: restoring from its latest checkpoint, " + restoreFrom
                        + " (--no-resume starts fresh)");
            }
        }
        Configuration flinkConf = IndexJob.flinkConfiguration(config, flinkSettings, restoreFrom);
        if (!flinkSettings.containsKey(RestartStrategyOptions.RESTART_STRATEGY.key())) {
            // A broker that is down should end a local run with its error, not retry for ever.
            flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
            flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 3);
            flinkConf.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_DELAY, Duration.ofSeconds(2));
        }
        StreamExecutionEnvironment env = IndexCommand.localEnvironment(flinkConf, flinkSettings, config);
        IndexCommand.webUi(config).ifPresent(progress);
        JobModel model = config.resolveModel();
        JobPlan plan = JobPlan.prepare(config, model, env, restoreFrom != null);
        String checkpointsDir = IndexJob.configureCheckpoints(
                env,
                config,
                flinkSettings.containsKey(CheckpointingOptions.CHECKPOINTS_DIRECTORY.key())
                        ? null
                        : indexRoot + "/_flink/checkpoints");
        IndexJob.build(env, plan, afterSource.apply(IndexJob.source(env, plan)));

        JobClient client = env.executeAsync(plan.jobName());
        CrashedRuns.mark(indexRoot, client.getJobID(), checkpointsDir);
        if (crashed != null) {
            CrashedRuns.clear(crashed.marks()); // this run carries them on, and marks itself
        }
        String savepointDir = config.savepointDir() != null
                ? config.savepointDir()
                : new Path(indexRoot, "_flink/savepoints").toString();
        progress.accept("imgindex: streaming " + config.queue().uri() + " queue '"
                + config.queue().queue()
                + "' into " + indexRoot + " (job " + client.getJobID() + ", stream run "
                + plan.target().streamRun()
                + ")"
                + (restoreFrom != null ? ", restored from " + restoreFrom : "")
                + (plan.target().baseGeneration() > 0
                        ? ", building on generation " + plan.target().baseGeneration()
                        : "")
                + "\n  each checkpoint (every "
                + IndexJob.checkpointInterval(env, config).toMillis() / 1000.0
                + " s) with new rows becomes a generation; stop with Ctrl-C or SIGTERM (a savepoint goes to "
                + savepointDir + ")");
        String savepoint = watch(plan, client, stop, progress, savepointDir);
        if (savepoint != null) {
            CrashedRuns.clear(indexRoot, client.getJobID()); // resumed from its savepoint, if at all
        }
        return plan.result(true, Duration.ofNanos(System.nanoTime() - start), savepoint);
    }

    /**
     * Reports each new commit (and progress, every {@code --progress-interval}) until the job ends; once {@code
     * stop} completes, stops it with a savepoint.
     *
     * @return the savepoint's path, or null if the job ended by itself
     */
    private static String watch(
            JobPlan plan, JobClient client, CompletableFuture<?> stop, Consumer<String> progress, String savepointDir)
            throws Exception {
        CompletableFuture<JobExecutionResult> done = client.getJobExecutionResult();
        long shown = plan.latestGeneration().orElse(-1L);
        String savepoint = null;
        Duration every = plan.config().progressInterval();
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
            }
            try {
                done.get(500, TimeUnit.MILLISECONDS);
                return savepoint;
            } catch (TimeoutException e) {
                // Still running: report new commits, then wait again.
            }
            long latest = plan.latestGeneration().orElse(-1L);
            if (latest > shown) {
                shown = latest;
                Manifest m = plan.manifest(latest);
                if (m != null && plan.target().streamRun().equals(m.run().stream())) {
                    progress.accept("  generation " + latest + " (checkpoint "
                            + m.run().checkpoint() + "): " + m.counts().summary());
                }
            }
        }
    }

    /**
     * Stops the job with a savepoint, trying again while it cannot be taken yet (tasks still starting, or
     * restarting after a failure), for up to two minutes.
     *
     * @return the savepoint's path, or null if the job ended by itself meanwhile
     */
    private static String stopWithSavepoint(
            JobClient client, CompletableFuture<JobExecutionResult> done, String savepointDir) throws Exception {
        long deadline = System.nanoTime() + SAVEPOINT_PATIENCE.toNanos();
        while (true) {
            try {
                return client.stopWithSavepoint(false, savepointDir, SavepointFormatType.CANONICAL)
                        .get();
            } catch (ExecutionException e) {
                if (done.isDone()) {
                    return null;
                }
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                // Typically "not all required tasks are currently running": the job is (re)starting.
                LOG.info("No savepoint yet ({}); trying again", rootMessage(e));
                try {
                    done.get(500, TimeUnit.MILLISECONDS);
                } catch (TimeoutException stillRunning) {
                    // Ask again.
                }
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
}
