package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What {@code bin/imgindex serve} runs with (written by the package phase): the server's jars, and no Flink. */
class ServerClassPathITCase {

    @Test
    void theServersClassPathHoldsNoFlinkJar() throws Exception {
        Path file = Paths.get("target", "launcher", "runtime.classpath");
        assertThat(file).as("the class path the package phase writes").exists();
        List<String> jars = Arrays.stream(Files.readString(file).strip().split(java.io.File.pathSeparator))
                .map(p -> Paths.get(p).getFileName().toString())
                .toList();
        assertThat(jars)
                .anyMatch(j -> j.startsWith("jvector-"))
                .anyMatch(j -> j.startsWith("netty-codec-http-"))
                .anyMatch(j -> j.startsWith("imgindex-imaging"));
        assertThat(jars).noneMatch(j -> j.startsWith("flink-"));
        assertThat(jars).as("the pipeline's functions").noneMatch(j -> j.startsWith("imgindex-udfs"));
    }
}
