package io.imgindex.cli;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.job.IndexJob;
import io.imgindex.job.IndexJobConfig;
import io.imgindex.job.IndexOptions;
import io.imgindex.job.JobModel;
import io.imgindex.job.JobPlan;
import io.imgindex.job.RunSummary;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.HeartbeatManagerOptions;
import org.apache.flink.configuration.RestOptions;
import org.apache.flink.core.execution.JobClient;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * {@code imgindex index}: the indexing job ({@link IndexJob}) on an embedded Flink MiniCluster in this JVM, with
 * what a person at a terminal needs around it: file system plugins, a default parallelism of one per core,
 * progress lines, the web UI when asked, and the summary. A stream ({@code --mode streaming}) is {@link
 * LocalStreamRun}: it runs until a signal, then stops with a savepoint.
 */
public final class IndexCommand {

    public static final Command COMMAND = new Command(
            "index", IndexJob.USAGE, IndexJob.SUMMARY, IndexOptions.ALL, Flags.Conf.FLINK, false, (parsed, out) -> {
                IndexJob.Result result = run(IndexJobConfig.from(parsed.options()), parsed.flinkConf());
                out.print(RunSummary.of(result));
                return 0;
            });

    private IndexCommand() {}

    /**
     * Runs the job locally and waits for it; a stream runs until SIGTERM or Ctrl-C.
     *
     * @param flinkSettings Flink settings ({@code --conf}), also what the S3 plugin reads
     * @throws IllegalArgumentException if an input, or the generation to build on, does not exist or does not fit
     */
    public static IndexJob.Result run(IndexJobConfig config, Map<String, String> flinkSettings) throws Exception {
        if (config.streaming()) {
            return LocalStreamRun.run(config, flinkSettings, Signals.stopOnFirst(), System.out::println);
        }
        long start = System.nanoTime();
        Configuration flinkConf = IndexJob.flinkConfiguration(config, flinkSettings, null);
        loadFileSystems(flinkConf);
        StreamExecutionEnvironment env = localEnvironment(flinkConf, flinkSettings, config);
        webUi(config).ifPresent(System.out::println);
        JobModel model = config.resolveModel();
        JobPlan plan = JobPlan.prepare(config, model, env, false);
        IndexJob.build(env, plan, IndexJob.source(env, plan));
        execute(env, plan);
        return plan.result(true, Duration.ofNanos(System.nanoTime() - start), null);
    }

    /** Loads the file system plugins ({@code s3a://}) with these settings: a cluster loads them itself. */
    static void loadFileSystems(Configuration flinkConf) {
        FileSystem.initialize(flinkConf, PluginUtils.createPluginManagerFromRootFolder(flinkConf));
    }

    /**
     * The embedded cluster's environment: the job's settings, plus what only a local run needs (a cluster keeps
     * its own): heartbeats often enough for the progress lines (task managers report accumulators with them), the
     * web UI on loopback when asked for, and one slot per core unless {@code --parallelism} says.
     */
    static StreamExecutionEnvironment localEnvironment(
            Configuration flinkConf, Map<String, String> flinkSettings, IndexJobConfig config) {
        if (!flinkSettings.containsKey(HeartbeatManagerOptions.HEARTBEAT_INTERVAL.key())) {
            flinkConf.set(HeartbeatManagerOptions.HEARTBEAT_INTERVAL, Duration.ofSeconds(2));
        }
        if (config.webUiPort() != null) {
            flinkConf.set(RestOptions.ADDRESS, "127.0.0.1");
            flinkConf.set(RestOptions.BIND_ADDRESS, "127.0.0.1");
            flinkConf.set(RestOptions.BIND_PORT, String.valueOf(config.webUiPort()));
            flinkConf.set(RestOptions.PORT, config.webUiPort());
        }
        StreamExecutionEnvironment env = StreamExecutionEnvironment.createLocalEnvironment(flinkConf);
        env.setParallelism(
                config.parallelism() != null
                        ? config.parallelism()
                        : Runtime.getRuntime().availableProcessors());
        return env;
    }

    /** The line that says where the web UI of a local run is, if one was asked for. */
    static Optional<String> webUi(IndexJobConfig config) {
        return Optional.ofNullable(config.webUiPort())
                .map(port -> "imgindex: Flink's web UI at http://127.0.0.1:" + port + "/ while the job runs");
    }

    /** Runs the job and prints a progress line every {@code --progress-interval} until it ends. */
    private static JobExecutionResult execute(StreamExecutionEnvironment env, JobPlan plan) throws Exception {
        Duration interval = plan.config().progressInterval();
        if (interval == null) {
            return env.execute(plan.jobName());
        }
        ProgressReporter progress =
                new ProgressReporter(ProgressReporter.countLines(plan.inputs()), System.out::println);
        JobClient client = env.executeAsync(plan.jobName());
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
}
