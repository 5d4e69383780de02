package io.imgindex.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IndexLayoutTest {

    @Test
    void namesGenerationsAndParsesThemBack() {
        assertThat(IndexLayout.generationDir(12)).isEqualTo("generation=12");
        assertThat(IndexLayout.parseGenerationDir("generation=12")).hasValue(12);
        assertThat(IndexLayout.parseGenerationDir("generation=012")).isEmpty();
        assertThat(IndexLayout.parseGenerationDir("generation=")).isEmpty();
        assertThat(IndexLayout.parseGenerationDir("_LATEST")).isEmpty();
    }

    @Test
    void filePathsStayInsideTheIndex() {
        assertThat(IndexLayout.problemWithFilePath("shard=0/part-00000-0-0.parquet"))
                .isNull();
        assertThat(IndexLayout.problemWithFilePath("../streams/r1/shard=0/part-00000-ab12-0.parquet"))
                .isNull();
        assertThat(IndexLayout.problemWithFilePath("../../etc/passwd")).isNotNull();
        assertThat(IndexLayout.problemWithFilePath("shard=0/../../x.parquet")).isNotNull();
        assertThat(IndexLayout.problemWithFilePath("/abs/x.parquet")).isNotNull();
        assertThat(IndexLayout.problemWithFilePath("s3a://b/x.parquet")).isNotNull();
        assertThat(IndexLayout.problemWithFilePath("shard=0//x.parquet")).isNotNull();
        assertThatThrownBy(() -> new ManifestFile("../../x.parquet", "index", 0, 1, 1, "00"))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageContaining("'../../x.parquet'");
    }

    @Test
    void streamingFileNamesCarryTheirWritersToken() {
        String name = IndexLayout.partFileName(2, "a1b2c3d4", 7);
        assertThat(name).isEqualTo("part-00002-a1b2c3d4-7.parquet");
        assertThat(IndexLayout.partFileToken(name)).isEqualTo("a1b2c3d4");
        assertThat(IndexLayout.partFileToken("." + name + ".inprogress")).isEqualTo("a1b2c3d4");
        assertThat(IndexLayout.partFileToken("_manifest.json")).isNull();
        assertThat(IndexLayout.streamDir("20261201T101500Z-3f2a")).isEqualTo("streams/20261201T101500Z-3f2a");
        assertThatThrownBy(() -> IndexLayout.streamDir("../x")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void tellsDataFilesFromHiddenOnes() {
        assertThat(IndexLayout.isDataFile(IndexLayout.partFileName(3, 1, 0))).isTrue();
        assertThat(IndexLayout.partFileName(3, 1, 0)).isEqualTo("part-00003-1-0.parquet");
        String batch = IndexLayout.partFileName(3, IndexLayout.batchToken("20261207T021017Z-b29b84", 2), 0);
        assertThat(batch).isEqualTo("part-00003-20261207T021017Zb29b84a2-0.parquet");
        assertThat(IndexLayout.partFileToken(batch)).isEqualTo("20261207T021017Zb29b84a2");
        assertThat(IndexLayout.isDataFile(batch)).isTrue();
        assertThat(IndexLayout.isDataFile(".part-00003-1-0.parquet.inprogress")).isFalse();
        assertThat(IndexLayout.isDataFile("_manifest.json")).isFalse();
        assertThat(IndexLayout.tableDir(Table.INDEX, 2)).isEqualTo("shard=2");
        assertThat(IndexLayout.tableDir(Table.FAILURES, -1)).isEqualTo("failures");
    }

    @Test
    void checksIndexNames() {
        assertThat(IndexLayout.checkIndexName("photos-2024_v1.0")).isEqualTo("photos-2024_v1.0");
        assertThatThrownBy(() -> IndexLayout.checkIndexName("../etc")).hasMessageContaining("'../etc'");
        assertThatThrownBy(() -> IndexLayout.checkIndexName("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> IndexLayout.checkIndexName("a/b")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void shardsAreStableAndSpread() {
        // Pinned values, computed with Python's hashlib: int.from_bytes(sha256(id)[:8], 'big') % shards.
        assertThat(ShardAssignment.shardOf("coffee", 4)).isEqualTo(2);
        assertThat(ShardAssignment.shardOf("a", 7)).isEqualTo(4);
        assertThat(ShardAssignment.shardOf("http://example.com/a.jpg", 4)).isEqualTo(3);
        assertThat(ShardAssignment.shardOf("anything", 1)).isZero();
        Map<Integer, Integer> counts = new HashMap<>();
        for (int i = 0; i < 40_000; i++) {
            counts.merge(ShardAssignment.shardOf("id-" + i, 8), 1, Integer::sum);
        }
        assertThat(counts).hasSize(8);
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isBetween(4_700, 5_300));
        assertThatThrownBy(() -> ShardAssignment.shardOf("x", 0)).hasMessageContaining("at least 1");
    }
}
