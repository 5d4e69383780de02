package io.imgindex.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ImgIndexCliTest {

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    int run(String... args) {
        return ImgIndexCli.run(
                args,
                new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void printsTheVersion() {
        assertThat(run("--version")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .matches("imgindex \\d+\\.\\d+\\.\\d+(-SNAPSHOT)? \\(Flink 1\\.20\\.\\d+, TensorFlow Java \\S+;"
                        + " running on Java \\S+\\)\\n");
    }

    @Test
    void commandsWithoutFlinkSettingsRefuseConf() {
        assertThat(run("enroll", "--queue", "q", "--conf", "taskmanager.memory.process.size=4g", "a.csv"))
                .isEqualTo(2);
        assertThat(err()).contains("unknown flag --conf");
    }

    @Test
    void badConfigurationExitsWithTwoAndOneLine() {
        assertThat(run("index", "--input", "x.txt", "--shards", "0")).isEqualTo(2);
        assertThat(err()).isEqualTo("imgindex index: --shards must be within 1..4096, was 0\n");
    }

    @Test
    void missingInputIsABadConfiguration() {
        assertThat(run("index", "--name", "x")).isEqualTo(2);
        assertThat(err()).contains("--input is required");
    }

    @Test
    void unknownFlagsAndCommandsFailFast() {
        assertThat(run("index", "--input", "a", "--frobnicate")).isEqualTo(2);
        assertThat(err()).contains("unknown flag --frobnicate");
        err.reset();
        assertThat(run("reindex")).isEqualTo(2);
        assertThat(err()).contains("unknown command 'reindex'");
    }

    @Test
    void badIndexNameAndModelFolderAreNamed() {
        assertThat(run("index", "--input", "a", "--name", "../x")).isEqualTo(2);
        assertThat(err()).contains("--name: index name '../x' is not valid");
        err.reset();
        assertThat(run("index", "--input", "a", "--model", "/nonexistent/model"))
                .isEqualTo(2);
        assertThat(err()).contains("--model /nonexistent/model: '/nonexistent/model' is neither a model folder");
        err.reset();
        assertThat(run("index", "--input", "a", "--allow-network", "intranet")).isEqualTo(2);
        assertThat(err()).contains("--allow-network: 'intranet' is not an address block");
    }

    @Test
    void missingInputFileIsNamed() {
        assertThat(run(
                        "index",
                        "--input",
                        "/nonexistent/urls.txt",
                        "--output",
                        "target/cli-test",
                        "--model",
                        "imgindex-thumb-v1",
                        "--model-cache",
                        "target/model-cache"))
                .isEqualTo(2);
        assertThat(err()).contains("--input /nonexistent/urls.txt: no such file or folder");
    }

    @Test
    void everyCommandHasHelp() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("index", "inspect");
        out.reset();
        assertThat(run("index", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--allow-private-networks", "--parallelism");
        out.reset();
        assertThat(run("inspect", "--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--similar");
    }
}
