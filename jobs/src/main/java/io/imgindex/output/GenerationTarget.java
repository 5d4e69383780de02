package io.imgindex.output;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.ModelInfo;
import io.imgindex.format.SegmentInfo;
import java.io.File;
import java.io.Serializable;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.apache.flink.core.fs.Path;

/**
 * The generation a run writes: where, which number, and what the manifest will say about the run. Immutable.
 *
 * @param output the indexes' location as given: a local folder or a URI such as {@code s3a://bucket/indexes}
 * @param name the index name
 * @param generation the generation number this run writes
 * @param shards the number of shards of the index table
 * @param modelId the model id
 * @param dimension the embedding dimension
 * @param metric the similarity metric
 * @param fileSizeBytes size at which data files roll
 * @param mode {@code BATCH} or {@code STREAMING}
 * @param inputs the inputs as given
 * @param startedAt when the run started (ISO-8601)
 * @param options explicit options, {@code key=value}
 * @param streamRun STREAMING: the run whose files go to {@code streams/<run>/} (each commit is a generation of
 *     its own that lists them); null in BATCH, where files go into the generation's folder
 * @param baseGeneration the committed generation whose rows this one lists too (0: none): a fresh stream's
 *     base, or the generation a BATCH run appends to
 * @param runId this run, unique: {@code <UTC time>-<random>}, in the name of every segment it writes, so that no
 *     two runs share a file name and a committer removes only files of its own run
 */
public record GenerationTarget(
        String output,
        String name,
        long generation,
        int shards,
        String modelId,
        int dimension,
        String metric,
        long fileSizeBytes,
        String mode,
        List<String> inputs,
        String startedAt,
        List<String> options,
        String streamRun,
        long baseGeneration,
        String runId)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public GenerationTarget {
        IndexLayout.checkIndexName(name);
        inputs = List.copyOf(inputs);
        options = List.copyOf(options);
        if (streamRun != null) {
            IndexLayout.streamDir(streamRun); // checks it
        }
        SegmentInfo.checkId(runId);
    }

    /** A new run id: {@code <UTC time>-<six hex digits>}. */
    public static String newRunId(Instant startedAt) {
        return DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
                        .withZone(ZoneOffset.UTC)
                        .format(startedAt)
                + "-"
                + String.format("%06x", ThreadLocalRandom.current().nextInt(1 << 24));
    }

    /** A BATCH target. */
    public GenerationTarget(
            String output,
            String name,
            long generation,
            int shards,
            String modelId,
            int dimension,
            String metric,
            long fileSizeBytes,
            String mode,
            List<String> inputs,
            String startedAt,
            List<String> options,
            String runId) {
        this(
                output,
                name,
                generation,
                shards,
                modelId,
                dimension,
                metric,
                fileSizeBytes,
                mode,
                inputs,
                startedAt,
                options,
                null,
                0,
                runId);
    }

    /**
     * The same as the target of a streaming run: its files go to {@code streams/<run>/} (the run's id).
     *
     * @param base the committed generation it builds on, 0 for none
     */
    public GenerationTarget streaming(List<String> streamInputs, long base) {
        return streaming(runId, streamInputs, base);
    }

    /** The same as the target of streaming run {@code run}, which becomes the run's id. */
    public GenerationTarget streaming(String run, List<String> streamInputs, long base) {
        return new GenerationTarget(
                output,
                name,
                generation,
                shards,
                modelId,
                dimension,
                metric,
                fileSizeBytes,
                "STREAMING",
                streamInputs,
                startedAt,
                options,
                run,
                base,
                run);
    }

    /** Whether this is a streaming run's target. */
    public boolean streaming() {
        return streamRun != null;
    }

    /** Where writers put their files: the generation's folder, or the stream run's. */
    public Path writeDir() {
        return streamRun == null ? generationDir() : new Path(indexRoot(), IndexLayout.streamDir(streamRun));
    }

    /** How a manifest names a file written at {@code relative} under {@link #writeDir()}. */
    public String manifestPath(String relative) {
        return streamRun == null
                ? relative
                : IndexLayout.INDEX_ROOT_PREFIX + IndexLayout.streamDir(streamRun) + "/" + relative;
    }

    /** The root of the index, {@code <output>/<name>}, as a Flink path. */
    public Path indexRoot() {
        return new Path(outputPath(output), name);
    }

    /** The folder of this generation. */
    public Path generationDir() {
        return new Path(indexRoot(), IndexLayout.generationDir(generation));
    }

    public ModelInfo model() {
        return new ModelInfo(modelId, dimension, metric);
    }

    /**
     * A local folder becomes an absolute {@code file:} path; anything with a scheme ({@code s3a://…},
     * {@code file:/…}, {@code file:///…}) is taken as a URI.
     */
    public static Path outputPath(String output) {
        if (output.matches("^[a-zA-Z][a-zA-Z0-9+.-]+:.*")) {
            return new Path(output);
        }
        return new Path(new File(output).getAbsoluteFile().toURI());
    }

    /** The same target for another generation number. */
    /** The same, building on committed generation {@code base} (a BATCH append), 0 for none. */
    public GenerationTarget withBase(long base) {
        return new GenerationTarget(
                output,
                name,
                generation,
                shards,
                modelId,
                dimension,
                metric,
                fileSizeBytes,
                mode,
                inputs,
                startedAt,
                options,
                streamRun,
                base,
                runId);
    }

    public GenerationTarget withGeneration(long n) {
        return new GenerationTarget(
                output,
                name,
                n,
                shards,
                modelId,
                dimension,
                metric,
                fileSizeBytes,
                mode,
                inputs,
                startedAt,
                options,
                streamRun,
                baseGeneration,
                runId);
    }
}
