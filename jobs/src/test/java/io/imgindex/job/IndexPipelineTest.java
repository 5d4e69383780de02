package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.item.Item;
import io.imgindex.output.GenerationTarget;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.stream.StreamSupport;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.runtime.jobgraph.JobGraph;
import org.apache.flink.runtime.jobgraph.JobVertex;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shape of the job graph: in BATCH, fetch, decode and embed run chained in one task, so decoded pixels never
 * cross an exchange (BATCH makes keyed exchanges blocking, which would also stop the embedding from overlapping the
 * fetching); in STREAMING exact copies are dropped before the embedding.
 */
class IndexPipelineTest {

    @TempDir
    Path work;

    private IndexJobConfig config() throws Exception {
        Path list = Files.writeString(work.resolve("urls.txt"), "http://127.0.0.1:1/a.jpg\n");
        Flags.Parsed p = Flags.parse(
                new String[] {
                    "--model",
                    "imgindex-thumb-v1",
                    "--model-cache",
                    "target/model-cache",
                    "--input",
                    list.toString(),
                    "--output",
                    work.resolve("out").toString(),
                    "--name",
                    "shape",
                    "--near-dup",
                    "--near-dup.threshold",
                    "0.9"
                },
                IndexOptions.ALL);
        return IndexJobConfig.from(p.options());
    }

    private JobGraph graph(RuntimeExecutionMode mode) throws Exception {
        IndexJobConfig config = config();
        Configuration conf = new Configuration();
        conf.set(ExecutionOptions.RUNTIME_MODE, mode);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
        env.setParallelism(2);
        JobModel model = config.resolveModel();
        GenerationTarget target = JobPlan.target(config, model, Instant.now());
        IndexPipeline.build(
                        env.fromData(
                                List.of(Item.pending("a", "http://127.0.0.1:1/a.jpg", null, "t")),
                                TypeInformation.of(Item.class)),
                        config,
                        model,
                        target,
                        mode == RuntimeExecutionMode.BATCH)
                .sinkTo(new DiscardingSink<>());
        return env.getStreamGraph().getJobGraph();
    }

    private static JobVertex vertexWith(JobGraph g, String operator) {
        return StreamSupport.stream(g.getVertices().spliterator(), false)
                .filter(v -> v.getName().contains(operator))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no vertex runs " + operator + " in " + names(g)));
    }

    private static List<String> names(JobGraph g) {
        return StreamSupport.stream(g.getVertices().spliterator(), false)
                .map(JobVertex::getName)
                .toList();
    }

    @Test
    void theSummarySaysHowNearDuplicatesAreFound() throws Exception {
        assertThat(config().resolveModel().nearDupNote())
                .isEqualTo("cosine >= 0.900, up to 32 partitions (margin 0.01), 16 tables x 12 bits, 3 probes, 512 per"
                        + " bucket, 64 compared");
    }

    @Test
    void batchChainsFetchDecodeAndEmbed() throws Exception {
        JobGraph g = graph(RuntimeExecutionMode.BATCH);
        JobVertex decode = vertexWith(g, "decode");
        assertThat(decode.getName()).contains("fetch").contains("embed");
        // Exact duplicates are found after the embedding, in a task of their own (a keyed exchange).
        JobVertex exact = vertexWith(g, "exact duplicates");
        assertThat(exact).isNotSameAs(decode);
    }

    @Test
    void streamingDropsExactCopiesBeforeTheEmbedding() throws Exception {
        JobGraph g = graph(RuntimeExecutionMode.STREAMING);
        assertThat(vertexWith(g, "decode").getName()).doesNotContain("embed");
        assertThat(vertexWith(g, "exact duplicates").getName()).contains("embed");
    }
}
