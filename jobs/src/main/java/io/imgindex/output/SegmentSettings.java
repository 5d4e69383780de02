package io.imgindex.output;

import io.imgindex.format.GraphParams;
import java.io.Serializable;

/**
 * How writers cut the index table into segments and build their graphs.
 *
 * @param graph the graph's parameters (its PQ subspaces apply to segments of {@code SegmentWriter.PQ_MIN_ROWS}
 *     rows or more)
 * @param maxRows the most rows of one segment: a shard with more is written as several segments
 * @param buildThreads threads each writer task builds a graph with
 * @param localDir a local folder for vector spools and graphs before upload, or null for the task manager's
 *     temporary folders
 */
public record SegmentSettings(GraphParams graph, long maxRows, int buildThreads, String localDir)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    public static final long DEFAULT_MAX_ROWS = 1_000_000;

    public SegmentSettings {
        if (graph == null) {
            throw new IllegalArgumentException("graph parameters are required");
        }
        if (maxRows < 1) {
            throw new IllegalArgumentException("--segment.max-rows must be positive, was " + maxRows);
        }
        if (buildThreads < 1) {
            throw new IllegalArgumentException("--segment.build-threads must be positive, was " + buildThreads);
        }
    }
}
