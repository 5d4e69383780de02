package io.imgindex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/imgindex} as people run it, in its own process: the README's quick start on {@code sample-data/},
 * and the exit codes of bad command lines.
 */
class LauncherITCase {

    static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

    @TempDir
    Path out;

    record Run(int exit, String stdout, String stderr) {}

    static Run imgindex(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(ROOT.resolve("bin/imgindex").toString());
        command.addAll(List.of(args));
        Path stdout = Files.createTempFile("imgindex", ".out");
        Path stderr = Files.createTempFile("imgindex", ".err");
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(ROOT.toFile())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile());
        // The build running this test is the build to use: never start another Maven inside it.
        builder.environment().put("IMGINDEX_BUILD", "never");
        // Models are imported into this build's folder, not the user's cache: CI starts from nothing.
        builder.environment()
                .put(
                        "IMGINDEX_MODEL_CACHE",
                        Paths.get("target/model-cache").toAbsolutePath().toString());
        Process p = builder.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("bin/imgindex " + String.join(" ", args) + " did not finish in 5 minutes");
        }
        return new Run(
                p.exitValue(),
                Files.readString(stdout, StandardCharsets.UTF_8),
                Files.readString(stderr, StandardCharsets.UTF_8));
    }

    @Test
    void indexesTheSampleDataAndAnswersAQuery() throws Exception {
        Run index = imgindex(
                "index",
                "--input",
                "sample-data/photos.csv",
                "--allow-file-root",
                "sample-data",
                "--output",
                out.toString(),
                "--name",
                "sample");

        assertThat(index.exit()).as(index.stderr()).isZero();
        assertThat(index.stdout())
                .contains("committed generation 1 of index 'sample'")
                .contains("read 41 = indexed 39 + duplicates 1 + failed 1 (skipped lines 3)")
                .contains("failed by reason: NOT_FOUND 1");

        Run inspect = imgindex("inspect", "--index", out.toString(), "--name", "sample", "--similar", "coffee");
        assertThat(inspect.exit()).as(inspect.stderr()).isZero();
        assertThat(inspect.stdout())
                .contains("verified 6 files")
                .contains("coffee-copy              duplicate of coffee")
                .contains("missing                  NOT_FOUND")
                .contains("nearest neighbours of 'coffee'")
                .containsPattern("1\\.0000  coffee ");
    }

    @Test
    void indexesAPlainListWithDerivedIds() throws Exception {
        Run index = imgindex(
                "index",
                "--input",
                "sample-data/urls.txt",
                "--allow-file-root",
                "sample-data",
                "--output",
                out.toString(),
                "--name",
                "plain",
                "--shards",
                "2");

        assertThat(index.exit()).as(index.stderr()).isZero();
        assertThat(index.stdout())
                .contains("read 39 = indexed 39 + duplicates 0 + failed 0 (skipped lines 2)")
                .contains("2 shards");
    }

    @Test
    void refusesBadCommandLinesWithOneLine() throws Exception {
        Run unknown = imgindex("index", "--input", "sample-data/urls.txt", "--shard", "3");
        Run malformed = imgindex("index", "--input", "sample-data/urls.txt", "--parallelism", "many");

        assertThat(unknown.exit()).isEqualTo(2);
        assertThat(unknown.stderr()).isEqualTo("imgindex index: unknown flag --shard (see --help)\n");
        assertThat(malformed.exit()).isEqualTo(2);
        assertThat(malformed.stderr().strip())
                .isEqualTo("imgindex index: bad value for --parallelism: 'many' (expected a whole number)");
        assertThat(unknown.stdout()).isEmpty();
    }
}
