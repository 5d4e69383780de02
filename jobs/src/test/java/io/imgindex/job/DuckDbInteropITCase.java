package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.flags.Flags;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.Table;
import io.imgindex.testing.TestImages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A generation read by an independent Parquet reader: DuckDB (from the npm registry, run by node). The index
 * table must come out with a FLOAT[] vector column, a MAP metadata column, the hive partition columns, and the
 * same rows per shard as the manifest says.
 */
class DuckDbInteropITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @TempDir
    Path out;

    @Test
    void duckDbReadsWhatTheJobWrote() throws Exception {
        Path photos = TestImages.sampleData().resolve("photos.csv");
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--model",
                    "imgindex-thumb-v1",
                    "--model-cache",
                    "target/model-cache",
                    "--input",
                    photos.toString(),
                    "--allow-file-root",
                    TestImages.sampleData().toString(),
                    "--output",
                    out.toString(),
                    "--name",
                    "sample",
                    "--parallelism",
                    "2"
                },
                IndexOptions.ALL);
        Manifest m = IndexJob.submit(IndexJobConfig.from(p.options()), Map.of()).manifest();
        Path generation = out.resolve("sample/generation=1");

        JsonNode duck = new ObjectMapper().readTree(duckdb(generation));

        Map<String, Long> expected = new HashMap<>();
        for (ManifestFile f : m.filesOf(Table.INDEX)) {
            expected.merge(String.valueOf(f.shard()), f.rows(), Long::sum);
        }
        Map<String, Long> seen = new HashMap<>();
        duck.get("shards")
                .forEach(s -> seen.put(s.get("shard").asText(), s.get("n").asLong()));
        assertThat(seen).isEqualTo(expected);
        JsonNode v = duck.get("vectors").get(0);
        assertThat(v.get("min_dim").asInt()).isEqualTo(128);
        assertThat(v.get("max_dim").asInt()).isEqualTo(128);
        assertThat(v.get("min_norm2").asDouble()).isBetween(0.999, 1.001);
        assertThat(v.get("max_norm2").asDouble()).isBetween(0.999, 1.001);
        Map<String, String> types = new HashMap<>();
        duck.get("columns")
                .forEach(c -> types.put(
                        c.get("column_name").asText(), c.get("column_type").asText()));
        assertThat(types)
                .containsEntry("vector", "FLOAT[]")
                .containsEntry("metadata", "MAP(VARCHAR, VARCHAR)")
                .containsEntry("ingested_at", "TIMESTAMP WITH TIME ZONE")
                .containsEntry("width", "INTEGER")
                .containsKeys("shard");
        assertThat(duck.get("titles").get(0).get("title").asText()).isEqualTo("Acanthus mollis (1928)");
        assertThat(duck.get("duplicates").get(0).get("duplicate_of").asText()).isEqualTo("coffee");
        assertThat(duck.get("failures").get(0).get("reason").asText()).isEqualTo("NOT_FOUND");
    }

    /** Installs DuckDB's node package once per build (no lock file: the version is pinned exactly) and runs it. */
    private static String duckdb(Path generation) throws IOException, InterruptedException {
        Path dir = Paths.get("target", "duckdb").toAbsolutePath();
        Files.createDirectories(dir);
        for (String f : List.of("package.json", "read-generation.mjs")) {
            Files.copy(Paths.get("src/test/duckdb", f), dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        if (!Files.isDirectory(dir.resolve("node_modules/@duckdb/node-api"))) {
            run(dir, "npm", "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error");
        }
        return run(dir, "node", "read-generation.mjs", generation.toString());
    }

    private static String run(Path dir, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("duckdb", ".log");
        Path stdout = Files.createTempFile("duckdb", ".out");
        Process p = new ProcessBuilder(command)
                .directory(dir.toFile())
                .redirectOutput(stdout.toFile())
                .redirectError(log.toFile())
                .start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES))
                .as(String.join(" ", command) + " finished")
                .isTrue();
        assertThat(p.exitValue())
                .as(String.join(" ", command) + ": " + Files.readString(log))
                .isZero();
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }
}
