package io.imgindex.format.segment;

import io.github.jbellis.jvector.graph.RandomAccessVectorValues;
import io.github.jbellis.jvector.vector.VectorizationProvider;
import io.github.jbellis.jvector.vector.types.VectorFloat;
import io.github.jbellis.jvector.vector.types.VectorTypeSupport;

/**
 * Mapped rows as JVector's vector source: {@link #getVector} copies a row into a buffer of this instance, so values
 * are shared and JVector takes one {@link #copy} per thread.
 */
public final class MappedVectorValues implements RandomAccessVectorValues {

    private static final VectorTypeSupport VECTORS =
            VectorizationProvider.getInstance().getVectorTypeSupport();

    private final MappedFloats rows;
    private final long[] pick;
    private final float[] buffer;
    private final VectorFloat<?> view;

    public MappedVectorValues(MappedFloats rows) {
        this(rows, null);
    }

    private MappedVectorValues(MappedFloats rows, long[] pick) {
        this.rows = rows;
        this.pick = pick;
        this.buffer = new float[rows.dimension()];
        this.view = VECTORS.createFloatVector(buffer);
    }

    /** At most {@code n} rows spread evenly over all of them (every row when there are fewer). */
    static MappedVectorValues sample(MappedFloats rows, int n) {
        if (rows.rows() <= n) {
            return new MappedVectorValues(rows);
        }
        long[] pick = new long[n];
        for (int i = 0; i < n; i++) {
            pick[i] = i * rows.rows() / n;
        }
        return new MappedVectorValues(rows, pick);
    }

    @Override
    public int size() {
        return pick == null ? Math.toIntExact(rows.rows()) : pick.length;
    }

    @Override
    public int dimension() {
        return rows.dimension();
    }

    @Override
    public VectorFloat<?> getVector(int node) {
        rows.get(pick == null ? node : pick[node], buffer, 0);
        return view;
    }

    @Override
    public boolean isValueShared() {
        return true;
    }

    @Override
    public RandomAccessVectorValues copy() {
        return new MappedVectorValues(rows, pick);
    }
}
