package io.imgindex.format;

import java.util.Objects;

/**
 * The model that made a generation's vectors. A server refuses queries whose vectors do not have
 * {@code dimension} entries, and compares with {@code metric}.
 *
 * @param id the model id, e.g. {@code imgindex-thumb-v1}
 * @param dimension the number of floats per vector
 * @param metric how vectors compare: {@link #COSINE} (vectors are L2-normalised, so dot product) or
 *     {@link #DOT}
 */
public record ModelInfo(String id, int dimension, String metric) {

    public static final String COSINE = "cosine";

    public static final String DOT = "dot";

    public ModelInfo {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(metric, "metric");
        if (dimension < 1) {
            throw new IllegalArgumentException("model dimension must be positive, was " + dimension);
        }
        if (!metric.equals(COSINE) && !metric.equals(DOT)) {
            throw new IllegalArgumentException("unknown metric '" + metric + "': use cosine or dot");
        }
    }
}
