package io.imgindex.job.base;

import io.github.jbellis.jvector.graph.GraphSearcher;
import io.imgindex.dedup.BaseGenerationState;
import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import io.imgindex.vectors.DotKernel;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * A stream's embedded items against the generation it builds on ({@code --base-generation}): an item whose nearest
 * base item is at or above the near-duplicate threshold is recorded as a near duplicate of it, as an append records
 * one, and goes no further (its exact copies follow it); the others go on to the stream's own near-duplicate
 * decisions. Runs beside the embedding, at its parallelism; keeps no state but the base's number, so a restored
 * stream checks against the base it started on.
 */
public final class BaseNearDuplicates extends ProcessFunction<Item, Item> implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;

    /** Candidates a graph walk keeps: near duplicates sit next to the query, so a short walk finds them. */
    static final int EF = 64;

    private final String indexRoot;
    private final long configuredBase;
    private final float threshold;

    private transient long base;
    private transient BaseNeighbours neighbours;
    private transient GraphSearcher[] searchers;
    private transient DotKernel kernel;
    private transient Counter found;

    /**
     * @param indexRoot the index's folder, as a URI
     * @param configuredBase the generation a fresh stream builds on
     * @param threshold the near-duplicate threshold (cosine)
     */
    public BaseNearDuplicates(String indexRoot, long configuredBase, float threshold) {
        this.indexRoot = indexRoot;
        this.configuredBase = configuredBase;
        this.threshold = threshold;
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        base = BaseGenerationState.initialize(context, configuredBase);
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) {
        // The base's number is written once, when the operator starts.
    }

    @Override
    public void open(Configuration parameters) throws Exception {
        found = getRuntimeContext().getMetricGroup().addGroup("nearDuplicates").counter("ofBase");
        if (base > 0) {
            neighbours = BaseNeighbours.of(indexRoot, base);
            searchers = neighbours.searchers();
            kernel = DotKernel.best();
        }
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        if (neighbours != null && item.status == Status.INDEXED && item.vector != null && !item.inBase) {
            BaseNeighbours.Nearest nearest = neighbours.nearest(item.vector, EF, searchers, kernel);
            if (nearest != null && nearest.similarity() >= threshold) {
                item.duplicateOf(nearest.id(), Math.min(1f, nearest.similarity()), DuplicateRow.MATCH_NEAR);
                found.inc();
            }
        }
        out.collect(item);
    }
}
