package io.imgindex.bench;

import io.imgindex.dedup.near.NearDupTruth;

/**
 * Writes the near-duplicate ground truth ({@link NearDupTruth}): {@code benchmarks/run BuildNearDupTruth [OUT_DIR]}
 * (default {@code out/near-dup-truth}); index it with {@code bin/imgindex index --input OUT_DIR/items.csv
 * --allow-file-root OUT_DIR ...} and compare the duplicates table with {@code OUT_DIR/truth.csv}.
 */
public final class BuildNearDupTruth {

    private BuildNearDupTruth() {}

    public static void main(String[] args) throws Exception {
        NearDupTruth.main(args);
    }
}
