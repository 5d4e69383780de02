package io.imgindex.job;

import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.flags.Settings;
import io.imgindex.format.GraphParams;
import io.imgindex.format.IndexLayout;
import io.imgindex.output.SegmentSettings;
import java.io.Serializable;
import java.util.List;

/**
 * The options of {@code imgindex compact}; the graph and segment options are the index job's
 * ({@link IndexOptions}), so a compacted segment is built as the job builds one.
 */
public final class CompactOptions {

    private CompactOptions() {}

    public static final Option<String> INDEX = Options.key("index")
            .stringType()
            .noDefaultValue()
            .withDescription("Where indexes live (the index job's --output): a local folder or an s3a:// URI.");

    public static final Option<String> NAME =
            Options.key("name").stringType().noDefaultValue().withDescription("The index name.");

    public static final Option<Long> GENERATION = Options.key("generation")
            .longType()
            .defaultValue(0L)
            .withDescription("The generation to compact; 0: the latest.");

    public static final Option<Long> BELOW_ROWS = Options.key("below-rows")
            .longType()
            .defaultValue(100_000L)
            .withDescription("Segments with fewer rows are merged, per shard, when a shard has two or more of them.");

    public static final Option<Integer> RETAIN = Options.key("retain")
            .intType()
            .defaultValue(0)
            .withDescription("After compacting, keep the last N generations and delete older ones with every file"
                    + " only they list; 0 deletes nothing.");

    public static final Option<Integer> PARALLELISM = Options.key("parallelism")
            .intType()
            .noDefaultValue()
            .withDescription(
                    "Parallelism of the job. Default: one task per shard to compact, at most the" + " processors.");

    public static final List<Option<?>> ALL = List.of(
            INDEX,
            NAME,
            GENERATION,
            BELOW_ROWS,
            RETAIN,
            PARALLELISM,
            IndexOptions.GRAPH_M,
            IndexOptions.GRAPH_EF_CONSTRUCTION,
            IndexOptions.GRAPH_ALPHA,
            IndexOptions.GRAPH_PQ_SUBSPACES,
            IndexOptions.SEGMENT_MAX_ROWS,
            IndexOptions.SEGMENT_BUILD_THREADS);

    /**
     * A checked compaction configuration.
     *
     * @param pqSubspaces -1 for the measured default of the index's dimension
     */
    public record Config(
            String index,
            String name,
            long generation,
            long belowRows,
            int retain,
            Integer parallelism,
            int m,
            int efConstruction,
            float alpha,
            int pqSubspaces,
            long maxRows,
            int buildThreads)
            implements Serializable {

        public Config {
            if (index == null || index.isBlank()) {
                throw new IllegalArgumentException("--index is required");
            }
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("--name is required");
            }
            IndexLayout.checkIndexName(name);
            if (belowRows < 1) {
                throw new IllegalArgumentException("--below-rows must be positive, was " + belowRows);
            }
            if (retain < 0) {
                throw new IllegalArgumentException("--retain must not be negative, was " + retain);
            }
            if (parallelism != null && parallelism < 1) {
                throw new IllegalArgumentException("--parallelism must be positive, was " + parallelism);
            }
            new GraphParams(m, efConstruction, GraphParams.DEFAULT_NEIGHBOR_OVERFLOW, alpha, true, 0);
        }

        /** How the merged segments are built, for an index of {@code dimension}. */
        SegmentSettings segments(int dimension) {
            return new SegmentSettings(
                    new GraphParams(
                            m,
                            efConstruction,
                            GraphParams.DEFAULT_NEIGHBOR_OVERFLOW,
                            alpha,
                            true,
                            pqSubspaces < 0 ? GraphParams.defaultPqSubspaces(dimension) : pqSubspaces),
                    maxRows,
                    buildThreads,
                    null);
        }
    }

    public static Config config(Settings c) {
        return new Config(
                c.get(INDEX),
                c.get(NAME),
                c.get(GENERATION),
                c.get(BELOW_ROWS),
                c.get(RETAIN),
                c.getOptional(PARALLELISM).orElse(null),
                c.get(IndexOptions.GRAPH_M),
                c.get(IndexOptions.GRAPH_EF_CONSTRUCTION),
                c.get(IndexOptions.GRAPH_ALPHA),
                c.get(IndexOptions.GRAPH_PQ_SUBSPACES),
                c.get(IndexOptions.SEGMENT_MAX_ROWS),
                c.get(IndexOptions.SEGMENT_BUILD_THREADS));
    }
}
