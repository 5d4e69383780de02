package io.imgindex.format;

import java.nio.charset.StandardCharsets;

/**
 * Which shard an item lives in: a pure function of its id and the shard count, so that a server can find
 * the shard of an id without a lookup table, and any language can recompute it.
 *
 * <p>{@code shard = unsigned_big_endian_u64(sha256(utf8(id))[0..8]) mod shards}. The function's name is
 * recorded in the manifest as {@link #FUNCTION}; changing it needs a {@link FormatVersion} bump.
 */
public final class ShardAssignment {

    /** The name of the shard function, written into the manifest. */
    public static final String FUNCTION = "sha256-u64-mod";

    private ShardAssignment() {}

    /**
     * The shard of an item.
     *
     * @param id the item's id, never null
     * @param shards the number of shards, at least 1
     * @return a shard number in {@code [0, shards)}
     */
    public static int shardOf(String id, int shards) {
        if (shards < 1) {
            throw new IllegalArgumentException("shards must be at least 1, was " + shards);
        }
        byte[] digest = Sha256.newDigest().digest(id.getBytes(StandardCharsets.UTF_8));
        long prefix = 0;
        for (int i = 0; i < Long.BYTES; i++) {
            prefix = (prefix << 8) | (digest[i] & 0xFF);
        }
        return (int) Long.remainderUnsigned(prefix, shards);
    }
}
