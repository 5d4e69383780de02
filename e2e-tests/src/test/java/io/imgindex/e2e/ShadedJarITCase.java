package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.job.IndexJob;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.jar.JarFile;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The job jar a cluster receives: it holds the job and its libraries, and none of what the cluster image
 * supplies (Flink, a logging backend, the S3 file system, TensorFlow and its natives). Flink's RabbitMQ connector
 * is not part of the distribution: it is in the jar.
 */
class ShadedJarITCase {

    /** The one part of Flink the jar carries: the RabbitMQ connector (and the folders above it). */
    static final String RABBITMQ_CONNECTOR = "org/apache/flink/streaming/connectors/rabbitmq/";

    static List<String> entries;
    static String mainClass;

    @BeforeAll
    static void open() throws IOException {
        Path jar = null;
        try (DirectoryStream<Path> files =
                Files.newDirectoryStream(StandaloneClusterITCase.JOBS_TARGET, "imgindex-jobs-*-job.jar")) {
            for (Path p : files) {
                jar = p;
            }
        }
        assertThat(jar)
                .as("the shaded job jar in jobs/target/ (built by the jobs module's package phase)")
                .isNotNull();
        try (JarFile j = new JarFile(jar.toFile())) {
            entries =
                    Collections.list(j.entries()).stream().map(e -> e.getName()).toList();
            mainClass = j.getManifest().getMainAttributes().getValue("Main-Class");
        }
    }

    @Test
    void holdsTheJobAndItsLibraries() {
        assertThat(mainClass).isEqualTo(IndexJob.class.getName());
        assertThat(entries)
                .contains(
                        "io/imgindex/job/IndexJob.class",
                        "io/imgindex/format/IndexRow.class",
                        "io/imgindex/imaging/fetch/ImageFetcher.class",
                        "io/imgindex/fetch/FetchFunction.class",
                        "io/imgindex/flags/Flags.class",
                        "org/apache/parquet/hadoop/ParquetWriter.class",
                        "org/apache/hc/client5/http/impl/async/HttpAsyncClients.class",
                        "com/twelvemonkeys/imageio/plugins/webp/WebPImageReader.class",
                        "org/apache/flink/streaming/connectors/rabbitmq/RMQSource.class",
                        // The commit's conditional writes on S3 (CommitWrites): S3A makes the client.
                        "org/apache/hadoop/fs/s3a/S3AFileSystem.class",
                        "software/amazon/awssdk/services/s3/S3Client.class",
                        "com/rabbitmq/client/ConnectionFactory.class");
    }

    @Test
    void leavesOutWhatTheClusterSupplies() {
        List<String> forbidden = new ArrayList<>();
        for (String e : entries) {
            boolean connector =
                    e.startsWith(RABBITMQ_CONNECTOR) || (e.endsWith("/") && RABBITMQ_CONNECTOR.startsWith(e));
            if ((e.startsWith("org/apache/flink/") && !connector)
                    || e.startsWith("org/apache/logging/log4j/")
                    || e.startsWith("ch/qos/logback/")
                    || e.startsWith("org/slf4j/")
                    || e.startsWith("io/netty/")
                    || e.startsWith("org/tensorflow/")
                    || e.startsWith("org/bytedeco/")
                    || e.contains("libtensorflow")
                    || e.contains("libjnitensorflow")) {
                forbidden.add(e);
            }
        }
        assertThat(forbidden).isEmpty();
    }
}
