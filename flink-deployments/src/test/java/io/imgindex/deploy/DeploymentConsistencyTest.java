package io.imgindex.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Drift between the build and what is deployed: the Flink version of the pom, the Dockerfile's base image and the
 * resources' {@code flinkVersion}; the image tags and the project version; the job jar's path in the image and in
 * every {@code jarURI}; the entry class and the shaded jar's main class.
 */
class DeploymentConsistencyTest {

    @Test
    void oneFlinkVersionEverywhere() throws Exception {
        String flink = Manifests.pomProperty("flink.version");
        String dockerfile = Manifests.dockerfile();
        Matcher arg = Pattern.compile("(?m)^ARG FLINK_VERSION=(\\S+)$").matcher(dockerfile);
        List<String> args = new ArrayList<>();
        while (arg.find()) {
            args.add(arg.group(1));
        }
        assertThat(args).as("ARG FLINK_VERSION in the Dockerfile").isNotEmpty().containsOnly(flink);
        assertThat(dockerfile).contains("ARG BASE_IMAGE=flink:${FLINK_VERSION}-java17");
        assertThat(dockerfile).containsPattern("(?m)^FROM \\$\\{BASE_IMAGE}$");
        String cr = "v" + flink.replaceAll("^(\\d+)\\.(\\d+).*", "$1_$2");
        for (Manifests.Doc d : Manifests.ofKind("FlinkDeployment")) {
            assertThat(d.node().path("spec").path("flinkVersion").asText())
                    .as(d.name())
                    .isEqualTo(cr);
        }
    }

    @Test
    void imagesAreTaggedWithTheProjectVersion() throws Exception {
        String version = Manifests.projectVersion();
        List<String> images = new ArrayList<>();
        for (Manifests.Doc d : Manifests.all()) {
            d.node().findValues("image").forEach(n -> images.add(n.asText()));
        }
        assertThat(images).isNotEmpty();
        for (String image : images) {
            assertThat(image).matches("imgindex/imgindex:" + Pattern.quote(version) + "(-gpu)?");
        }
        assertThat(images).noneMatch(i -> i.endsWith(":latest"));
        String script = Files.readString(Manifests.DIR.resolve("build-image.sh"));
        assertThat(script).contains("tag=\"imgindex/imgindex:$version\"").contains("tag=\"$tag-gpu\"");
    }

    @Test
    void theJarIsWhereTheResourcesLookForIt() throws Exception {
        String jar = "imgindex-jobs-" + Manifests.projectVersion() + "-job.jar";
        String inImage = "/opt/flink/usrlib/" + jar;
        assertThat(Manifests.dockerfile())
                .containsPattern("(?m)^COPY usrlib/" + Pattern.quote(jar) + " " + Pattern.quote(inImage) + "$");
        String jobsPom = Files.readString(Manifests.ROOT.resolve("jobs/pom.xml"));
        assertThat(jobsPom)
                .contains("<shadedClassifierName>job</shadedClassifierName>")
                .contains("<artifactId>imgindex-jobs</artifactId>")
                .contains("<mainClass>io.imgindex.job.IndexJob</mainClass>");
        for (Manifests.Doc d : Manifests.ofKind("FlinkDeployment")) {
            JsonNode job = d.node().path("spec").path("job");
            assertThat(job.path("jarURI").asText()).as(d.name()).isEqualTo("local://" + inImage);
            // The index job (the jar's main class) or the compaction job: a class of the jar with a main method.
            String entry = job.path("entryClass").asText();
            assertThat(entry).as(d.name()).isIn("io.imgindex.job.IndexJob", "io.imgindex.job.CompactJob");
            Path source = Manifests.ROOT.resolve("jobs/src/main/java/" + entry.replace('.', '/') + ".java");
            assertThat(Files.readString(source)).as(entry).contains("public static void main(String[] args)");
        }
    }

    @Test
    void theS3PluginIsEnabledNotOnTheClassPath() throws Exception {
        String dockerfile = Manifests.dockerfile();
        assertThat(dockerfile)
                .contains("/opt/flink/opt/flink-s3-fs-hadoop-${FLINK_VERSION}.jar /opt/flink/plugins/s3-fs-hadoop/");
        assertThat(dockerfile).doesNotContainPattern("COPY [^\\n]*s3-fs-hadoop[^\\n]* /opt/flink/lib");
    }
}
