package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexRow;
import io.imgindex.format.Manifest;
import io.imgindex.testing.TestImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The face-gallery case: the face crops of {@code sample-data/faces/} indexed with the imported {@code faceres}
 * model into their own index. Every crop of a person photographed more than once must find another crop of the
 * same person as its nearest neighbour.
 */
class FaceGalleryITCase {

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(2)
            .build());

    @TempDir
    Path out;

    @Test
    void findsTheSamePersonFirst() throws Exception {
        Path faces = TestImages.sampleData().resolve("faces");
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--input",
                    faces.resolve("faces.csv").toString(),
                    "--allow-file-root",
                    faces.toString(),
                    "--model",
                    "faceres",
                    "--model-cache",
                    "target/model-cache",
                    "--output",
                    out.toString(),
                    "--name",
                    "faces",
                    "--shards",
                    "2",
                    "--parallelism",
                    "2"
                },
                IndexOptions.ALL);
        Manifest m = IndexJob.submit(IndexJobConfig.from(p.options()), Map.of()).manifest();
        assertThat(m.model().id()).isEqualTo("faceres");
        assertThat(m.model().dimension()).isEqualTo(1024);
        assertThat(m.counts().indexed()).isEqualTo(16);

        List<IndexRow> rows = new ArrayList<>();
        GenerationReader.open(out.toString(), "faces", new Configuration()).readIndex(m, rows::add);
        Map<String, Integer> crops = new HashMap<>();
        rows.forEach(r -> crops.merge(r.metadata().get("person"), 1, Integer::sum));
        int queries = 0;
        List<String> wrong = new ArrayList<>();
        for (IndexRow q : rows) {
            String person = q.metadata().get("person");
            if (crops.get(person) < 2) {
                continue;
            }
            queries++;
            IndexRow best = null;
            double bestScore = -2;
            for (IndexRow r : rows) {
                double s = dot(q.vector(), r.vector());
                if (r != q && s > bestScore) {
                    best = r;
                    bestScore = s;
                }
            }
            if (!best.metadata().get("person").equals(person)) {
                wrong.add(q.id() + " -> " + best.id());
            }
        }
        System.out.printf("faceres: %d of %d crops find the same person first%n", queries - wrong.size(), queries);
        assertThat(queries).isEqualTo(14);
        assertThat(wrong).isEmpty();
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
