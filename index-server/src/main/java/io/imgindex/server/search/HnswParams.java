package io.imgindex.server.search;

/**
 * How the approximate index is built and searched: JVector's HNSW graph (hierarchical, with its Vamana-style
 * pruning), built when a generation is loaded.
 *
 * @param m the most neighbours a node keeps (HNSW {@code M})
 * @param efConstruction the candidate list while building (HNSW {@code efConstruction}, JVector's beam width)
 * @param efSearch the default candidate list while searching; a request may ask for more
 * @param neighborOverflow how far a node's list may grow past {@code m} before pruning
 * @param alpha the pruning's diversity factor (1.0 is plain HNSW)
 */
public record HnswParams(int m, int efConstruction, int efSearch, float neighborOverflow, float alpha) {

    public HnswParams {
        if (m < 2 || m > 512) {
            throw new IllegalArgumentException("HNSW M must be within 2..512, was " + m);
        }
        if (efConstruction < m || efConstruction > 4096) {
            throw new IllegalArgumentException("HNSW efConstruction must be within M..4096, was " + efConstruction);
        }
        if (efSearch < 1 || efSearch > 10_000) {
            throw new IllegalArgumentException("HNSW efSearch must be within 1..10000, was " + efSearch);
        }
    }

    /** M 16, efConstruction 100, efSearch 100, overflow 1.2, alpha 1.2: recall@10 above 0.95 on the benchmarks. */
    public static HnswParams defaults() {
        return new HnswParams(16, 100, 100, 1.2f, 1.2f);
    }
}
