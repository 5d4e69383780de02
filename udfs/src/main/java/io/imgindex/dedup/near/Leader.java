package io.imgindex.dedup.near;

/**
 * A kept item as the near-duplicate index remembers it: its id and its unit-length vector. A Flink POJO (public
 * fields, no-argument constructor) so it is stored without Kryo.
 */
public class Leader {

    public String id;

    /** L2-normalised. */
    public float[] vector;

    public Leader() {}

    public Leader(String id, float[] vector) {
        this.id = id;
        this.vector = vector;
    }
}
