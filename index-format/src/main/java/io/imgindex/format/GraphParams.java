package io.imgindex.format;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.io.Serializable;

/**
 * How a segment's graph was built, recorded with every segment in the manifest: a JVector on-disk graph (HNSW
 * layers over a Vamana-style base layer), built with exact scores over the full vectors.
 *
 * @param maxDegree the most neighbours of a node in the base layer (HNSW's M)
 * @param beamWidth the candidate list while building (HNSW's efConstruction)
 * @param neighborOverflow how far a node's list may overflow before it is pruned back to {@code maxDegree}
 * @param alpha the diversity of pruning (1 keeps the nearest; above 1 keeps longer edges too)
 * @param hierarchy whether the graph has upper (HNSW) layers
 * @param pqSubspaces the product-quantization subspaces of the compressed vectors the graph walk uses, 0 when the
 *     walk scores full vectors
 */
public record GraphParams(
        int maxDegree, int beamWidth, float neighborOverflow, float alpha, boolean hierarchy, int pqSubspaces)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** JVector's graph type, recorded so that a later layout can be told apart. */
    public static final String TYPE = "jvector-on-disk-graph";

    public static final int DEFAULT_MAX_DEGREE = 16;
    public static final int DEFAULT_BEAM_WIDTH = 100;
    public static final float DEFAULT_NEIGHBOR_OVERFLOW = 1.2f;
    public static final float DEFAULT_ALPHA = 1.2f;

    public GraphParams {
        if (maxDegree < 2 || maxDegree > 512) {
            throw new IllegalArgumentException("--graph.m must be within 2..512, was " + maxDegree);
        }
        if (beamWidth < maxDegree) {
            throw new IllegalArgumentException(
                    "--graph.ef-construction must be at least --graph.m (" + maxDegree + "), was " + beamWidth);
        }
        if (!(neighborOverflow >= 1f)) {
            throw new IllegalArgumentException("neighbour overflow must be at least 1, was " + neighborOverflow);
        }
        if (!(alpha >= 1f)) {
            throw new IllegalArgumentException("--graph.alpha must be at least 1, was " + alpha);
        }
        if (pqSubspaces < 0) {
            throw new IllegalArgumentException("PQ subspaces must not be negative, was " + pqSubspaces);
        }
    }

    /** The defaults: M 16, efConstruction 100, overflow 1.2, alpha 1.2, with hierarchy, full-vector walk. */
    public static GraphParams defaults() {
        return new GraphParams(
                DEFAULT_MAX_DEGREE, DEFAULT_BEAM_WIDTH, DEFAULT_NEIGHBOR_OVERFLOW, DEFAULT_ALPHA, true, 0);
    }

    /**
     * The PQ subspaces the job uses unless told: one byte per 8 dimensions (a 1792-d vector walks as 224 bytes, a
     * 512-d one as 64), the common choice for embeddings of these sizes; none below 64 dimensions, whose full
     * vectors are small already.
     */
    public static int defaultPqSubspaces(int dimension) {
        return dimension < 64 ? 0 : dimension / 8;
    }

    public GraphParams withPqSubspaces(int subspaces) {
        return new GraphParams(maxDegree, beamWidth, neighborOverflow, alpha, hierarchy, subspaces);
    }

    @JsonIgnore
    public boolean compressed() {
        return pqSubspaces > 0;
    }

    /** For the manifest: what built the graph. */
    public String getType() {
        return TYPE;
    }
}
