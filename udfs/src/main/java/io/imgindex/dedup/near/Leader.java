package io.imgindex.dedup.near;

import io.imgindex.vectors.DotKernel;

/**
 * A kept item as the near-duplicate index remembers it: its id and its unit-length vector quantised to 8 bits per
 * dimension ({@code codes[i] * max / 127} is component {@code i}; {@code dimension + 4} bytes, a quarter of the
 * floats). The quantisation moves a cosine by at most {@code max / 254 * sum|q_i|}, and typically (rounding errors
 * are independent) by about {@code max / 127 / sqrt(12)}: under 0.001 for 1792-d embeddings, far inside the gap
 * between a near duplicate and anything else. A Flink POJO (public
 * fields, no-argument constructor) so it is stored without Kryo.
 */
public class Leader {

    /** SIMD where the JVM runs with the Vector API module, else a scalar loop. */
    private static final DotKernel KERNEL = DotKernel.best();

    public String id;

    /** The unit vector's components times {@code 127 / max}, rounded. */
    public byte[] codes;

    /** The largest |component|. */
    public float max;

    /** Remembered in this partition as a neighbour's kept item, not decided here. */
    public boolean replica;

    public Leader() {}

    /** Quantises a unit vector. */
    public static Leader of(String id, float[] unit, boolean replica) {
        float max = 0f;
        for (float x : unit) {
            max = Math.max(max, Math.abs(x));
        }
        Leader l = new Leader();
        l.id = id;
        l.replica = replica;
        l.max = max == 0f ? 1f : max;
        float inv = 127f / l.max;
        l.codes = new byte[unit.length];
        for (int i = 0; i < unit.length; i++) {
            l.codes[i] = (byte) Math.round(unit[i] * inv);
        }
        return l;
    }

    /** The cosine of a unit vector with this leader. */
    public float dot(float[] unit) {
        return KERNEL.dot(unit, codes, codes.length) * max / 127f;
    }

    /** The vector back as floats (approximately unit). */
    public float[] decode() {
        float[] v = new float[codes.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = codes[i] * max / 127f;
        }
        return v;
    }
}
