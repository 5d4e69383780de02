package io.imgindex.job;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.output.CommitWrites;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.Generations;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an indexing run is, decided before its graph is built: the configuration, the resolved model, the
 * generation it writes and, in BATCH, the input files. Made by {@link #prepare}, which does the run's I/O before
 * Flink starts (checking the inputs and the generation it builds on, and in BATCH reserving the generation's
 * number); {@link IndexJob#build} turns it into operators.
 *
 * @param inputs BATCH: the URL lists (a backfill's generation already materialised as a list); STREAMING: empty
 */
public record JobPlan(IndexJobConfig config, JobModel model, GenerationTarget target, List<Path> inputs) {

    private static final Logger LOG = LoggerFactory.getLogger(JobPlan.class);

    public JobPlan {
        inputs = List.copyOf(inputs);
    }

    /**
     * Plans a run.
     *
     * @param model the model, resolved in its own step ({@link IndexJobConfig#resolveModel})
     * @param env where the job will run: its settings are the store settings of the generation's reservation
     * @param restoring whether a stream restores from a savepoint or checkpoint (which carries the generation it
     *     builds on in its state)
     * @throws IllegalArgumentException if an input, or the generation to build on, does not exist or does not fit
     */
    public static JobPlan prepare(
            IndexJobConfig config, JobModel model, StreamExecutionEnvironment env, boolean restoring)
            throws IOException {
        Instant startedAt = Instant.now();
        GenerationTarget target = target(config, model, startedAt);
        if (config.streaming()) {
            target = target.streaming(List.of("amqp:" + config.queue().queue()), 0);
            if (!restoring) {
                long base = BaseGeneration.resolve(
                        "--base-generation", config.baseGeneration(), "give --base-generation none", target);
                target = target.streaming(target.streamRun(), target.inputs(), base);
            }
            return new JobPlan(config, model, target, List.of());
        }
        long base = config.appendTo() == null
                ? 0
                : BaseGeneration.resolve("--append-to", config.appendTo(), "leave --append-to out", target);
        List<Path> inputs = inputPaths(config.inputs(), target);
        long generation = Generations.reserveNext(
                target.indexRoot(),
                "{\"started_at\":\"" + target.startedAt() + "\"}\n",
                CommitWrites.storeSettings(env));
        return new JobPlan(config, model, target.withGeneration(generation).withBase(base), inputs);
    }

    /** The target of a run before its generation is known: the index, the model and the options. */
    public static GenerationTarget target(IndexJobConfig config, JobModel model, Instant startedAt) {
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

    public boolean streaming() {
        return config.streaming();
    }

    /** The job's name in Flink's UI and logs. */
    public String jobName() {
        return streaming()
                ? "imgindex stream " + config.name() + " from " + config.queue().queue()
                : "imgindex index " + config.name() + " generation " + target.generation();
    }

    /** Says in the log what the run is about to do. */
    void log() {
        if (streaming()) {
            LOG.info(
                    "Streaming {} into {} (stream run {})",
                    config.queue().queue(),
                    target.indexRoot(),
                    target.streamRun());
        } else {
            LOG.info(
                    "Indexing {} into {} (generation {})",
                    config.inputs(),
                    target.generationDir(),
                    target.generation());
        }
        if (target.baseGeneration() > 0) {
            LOG.info(
                    streaming()
                            ? "Building on generation {}: its images are kept first, new ones checked against them"
                            : "Appending to generation {}: its rows are listed as they are, new images checked"
                                    + " against them",
                    target.baseGeneration());
        } else if (config.appendTo() != null) {
            LOG.info(
                    "--append-to {}: index {} has no generation yet, so this run starts it",
                    config.appendTo(),
                    config.name());
        }
        LOG.info("Near-duplicates: {}", model.nearDupNote());
    }

    /** The batch run's manifest, once the job has ended. */
    public Path manifestPath() {
        return new Path(target.generationDir(), IndexLayout.MANIFEST);
    }

    /**
     * What the run produced, once its job has ended (or been submitted detached, {@code ended} false).
     *
     * @param savepoint the savepoint a stream stopped with, or null
     */
    public IndexJob.Result result(boolean ended, Duration took, String savepoint) throws IOException {
        if (streaming()) {
            Optional<Long> latest = latestGeneration();
            return new IndexJob.Result(
                    latest.map(this::manifest).orElse(null),
                    latest.map(n -> Generations.manifestPath(target.indexRoot(), n)
                                    .toString())
                            .orElse(null),
                    took,
                    model.nearDupNote(),
                    savepoint,
                    true);
        }
        Manifest manifest = ended ? Generations.readManifest(manifestPath()) : null;
        return new IndexJob.Result(manifest, manifestPath().toString(), took, model.nearDupNote(), null, false);
    }

    /** The generation {@code _LATEST} names now, if any (a pointer being replaced reads as none). */
    public Optional<Long> latestGeneration() {
        try {
            return Generations.readLatest(target.indexRoot()).map(LatestPointer::generation);
        } catch (IOException | RuntimeException e) {
            // A pointer being replaced, or the store briefly unreachable: the next look will tell.
            return Optional.empty();
        }
    }

    /** A committed generation's manifest, or null when it cannot be read (yet). */
    public Manifest manifest(long generation) {
        try {
            return Generations.readManifest(Generations.manifestPath(target.indexRoot(), generation));
        } catch (IOException | RuntimeException e) {
            // Not there (yet), or unreadable: callers treat it as no commit to show.
            return null;
        }
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
}
