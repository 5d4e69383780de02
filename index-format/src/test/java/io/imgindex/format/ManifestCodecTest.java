package io.imgindex.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ManifestCodecTest {

    static Manifest sample() {
        return Manifest.flat(
                "photos",
                3,
                new ModelInfo("m", 4, ModelInfo.COSINE),
                2,
                new Counts(4, 1, 2, 1, 1, Map.of("HTTP_404", 1L)),
                Map.of("title", "string"),
                List.of(
                        new ManifestFile("shard=1/part-00000-0-0.parquet", "index", 1, 2, 100, "aa"),
                        new ManifestFile("duplicates/part-00000-0-1.parquet", "duplicates", null, 1, 50, "bb"),
                        new ManifestFile("failures/part-00001-0-0.parquet", "failures", null, 1, 60, "cc")),
                new RunInfo("BATCH", List.of("in.csv"), "t0", "t1", List.of("shards=2")));
    }

    @Test
    void roundTripsWithSnakeCaseKeys() {
        byte[] json = ManifestCodec.encode(sample());
        String text = new String(json, StandardCharsets.UTF_8);

        assertThat(text)
                .contains(
                        "\"format_version\" : 1",
                        "\"failed_by_reason\"",
                        "\"skipped_lines\" : 1",
                        "\"metadata_columns\"",
                        "\"sharding\" : \"sha256-u64-mod\"");
        assertThat(text).doesNotContain("\"shard\" : null");
        assertThat(ManifestCodec.decodeManifest(json)).isEqualTo(sample());
    }

    @Test
    void listsFilesSortedByPath() {
        assertThat(sample().files())
                .extracting(ManifestFile::path)
                .containsExactly(
                        "duplicates/part-00000-0-1.parquet",
                        "failures/part-00001-0-0.parquet",
                        "shard=1/part-00000-0-0.parquet");
    }

    @Test
    void refusesUnknownVersionsBeforeReadingTheRest() {
        String future = "{\"format\":\"imgindex\",\"format_version\":3,\"whatever\":[1,2,3]}";

        assertThatThrownBy(() -> ManifestCodec.decodeManifest(future.getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IndexFormatException.class)
                .hasMessageContaining("unsupported format version 3");
    }

    @Test
    void refusesMalformedManifests() {
        assertThatThrownBy(() -> ManifestCodec.decodeManifest("{".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("not valid JSON");
        assertThatThrownBy(
                        () -> ManifestCodec.decodeManifest("{\"format_version\":1}".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IndexFormatException.class);
    }

    @Test
    void refusesCountsThatDisagreeWithTheFiles() {
        Manifest m = sample();
        Manifest wrong = new Manifest(
                m.format(),
                m.formatVersion(),
                m.indexName(),
                m.generation(),
                m.model(),
                m.shards(),
                m.sharding(),
                new Counts(5, 0, 3, 1, 1, Map.of("HTTP_404", 1L)),
                m.metadataColumns(),
                m.files(),
                m.run(),
                m.segments());

        assertThatThrownBy(wrong::validate).hasMessageContaining("lists 2 rows of index but its counts say 3");
    }

    @Test
    void refusesShardsOutOfRange() {
        Manifest m = sample();
        Manifest wrong = new Manifest(
                m.format(),
                m.formatVersion(),
                m.indexName(),
                m.generation(),
                m.model(),
                1,
                m.sharding(),
                m.counts(),
                m.metadataColumns(),
                m.files(),
                m.run(),
                m.segments());

        assertThatThrownBy(wrong::validate).hasMessageContaining("outside [0, 1)");
    }

    @Test
    void countsBalanceOnlyWhenEveryRecordIsAccountedFor() {
        assertThat(new Counts(4, 0, 2, 1, 1, Map.of("X", 1L)).balanced()).isTrue();
        assertThat(new Counts(5, 0, 2, 1, 1, Map.of("X", 1L)).balanced()).isFalse();
        assertThat(new Counts(4, 0, 2, 1, 1, Map.of("X", 2L)).balanced()).isFalse();
        assertThat(new Counts(5, 0, 2, 1, 1, Map.of()).summary()).endsWith("DOES NOT ADD UP");
    }
}
