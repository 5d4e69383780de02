package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.format.DuplicateRow;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The near-duplicate steps of a BATCH run, partitioned, on a MiniCluster: 4,000 clustered synthetic vectors with
 * planted near copies, exact copies and failures. The decisions are the same at parallelism 1, 2 and 4; every
 * input comes out once; exact copies follow their original; and against one partition the partitioned run finds
 * at least 98% of the near duplicates.
 */
class PartitionedNearDuplicateITCase {

    static final int DIM = 64;
    static final int N = 4000;

    @RegisterExtension
    static final MiniClusterExtension CLUSTER = new MiniClusterExtension(new MiniClusterResourceConfiguration.Builder()
            .setNumberTaskManagers(1)
            .setNumberSlotsPerTaskManager(4)
            .build());

    @Test
    void theSameDecisionsAtAnyParallelismAndRecallAgainstOnePartition() throws Exception {
        List<Item> input = input();
        Map<String, String> p1 = run(input, 1, 16);
        Map<String, String> p2 = run(input, 2, 16);
        Map<String, String> p4 = run(input, 4, 16);
        assertThat(p1).hasSize(input.size());
        assertThat(p2).isEqualTo(p1);
        assertThat(p4).isEqualTo(p1);

        Map<String, String> single = run(input, 2, 1);
        long nearInSingle =
                single.values().stream().filter(v -> v.startsWith("near:")).count();
        long foundToo = single.entrySet().stream()
                .filter(e -> e.getValue().startsWith("near:"))
                .filter(e -> p1.get(e.getKey()).startsWith("near:"))
                .count();
        System.out.printf(
                "near duplicates: %d in one partition, %d of them found by 16 partitions (recall %.4f)%n",
                nearInSingle, foundToo, (double) foundToo / nearInSingle);
        assertThat(nearInSingle).as("planted copies found by one partition").isGreaterThan(N / 5);
        assertThat((double) foundToo / nearInSingle)
                .as("recall of 16 partitions against one: %d of %d", foundToo, nearInSingle)
                .isGreaterThanOrEqualTo(0.98);

        // Exact copies end where their original ended; failures are passed on; no duplicate names a failure.
        Map<String, String> indexed = new HashMap<>();
        p1.forEach((id, v) -> {
            if (v.equals("indexed")) {
                indexed.put(id, v);
            }
        });
        for (Item i : input) {
            String outcome = p1.get(i.id);
            if (i.status == Status.FAILED) {
                assertThat(outcome).isEqualTo("failed:EMBED_FAILED");
            } else if (i.status == Status.DUPLICATE) {
                String original = p1.get(i.duplicateOf);
                if (original.equals("indexed")) {
                    assertThat(outcome).isEqualTo("exact:" + i.duplicateOf);
                } else if (original.startsWith("near:")) {
                    assertThat(outcome).isEqualTo(original);
                } else {
                    assertThat(outcome).startsWith("failed:EMBED_FAILED");
                }
            } else if (outcome.startsWith("near:")) {
                assertThat(p1).containsKey(outcome.substring(5));
            }
        }
        assertThat(indexed).isNotEmpty();
    }

    @Test
    void aStreamTrainsItsPartitionsOnItsFirstVectors() throws Exception {
        List<Item> input = input();
        Map<String, String> stream = run(input, 2, 16, false);
        Map<String, String> single = run(input, 2, 1, true);
        assertThat(stream).hasSize(input.size());
        long near = stream.values().stream().filter(v -> v.startsWith("near:")).count();
        long nearSingle =
                single.values().stream().filter(v -> v.startsWith("near:")).count();
        System.out.printf(
                "near duplicates: %d in a stream over 16 partitions, %d in one BATCH partition%n", near, nearSingle);
        assertThat((double) near / nearSingle).isGreaterThanOrEqualTo(0.97);
        for (Item i : input) {
            if (i.status == Status.DUPLICATE) {
                String original = stream.get(i.duplicateOf);
                assertThat(stream.get(i.id))
                        .isEqualTo(original.equals("indexed") ? "exact:" + i.duplicateOf : original);
            }
        }
    }

    private static Map<String, String> run(List<Item> input, int parallelism, int partitions) throws Exception {
        return run(input, parallelism, partitions, true);
    }

    /** id -> "indexed", "near:<id>", "exact:<id>" or "failed:<reason>". */
    private static Map<String, String> run(List<Item> input, int parallelism, int partitions, boolean batch)
            throws Exception {
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setRuntimeMode(batch ? RuntimeExecutionMode.BATCH : RuntimeExecutionMode.STREAMING);
        env.setParallelism(parallelism);
        env.getConfig().disableGenericTypes(); // as the job does: every record type has a Flink serializer
        var items = env.fromCollection(input, TypeInformation.of(Item.class)).rebalance();
        var out = IndexPipeline.nearDuplicates(
                items,
                NearDupParams.withThreshold(0.9f).warmup(200),
                DIM,
                partitions,
                0.01f,
                java.time.Duration.ofMinutes(5),
                batch);
        Map<String, String> outcomes = new HashMap<>();
        try (CloseableIterator<Item> it = out.executeAndCollect("near-dup p" + parallelism)) {
            while (it.hasNext()) {
                Item i = it.next();
                String v =
                        switch (i.status) {
                            case INDEXED -> "indexed";
                            case DUPLICATE -> (DuplicateRow.MATCH_NEAR.equals(i.match) ? "near:" : "exact:")
                                    + i.duplicateOf;
                            case FAILED -> "failed:" + i.reason;
                            default -> "other:" + i.status;
                        };
                assertThat(outcomes.put(i.id, v)).as("%s comes out once", i.id).isNull();
            }
        }
        return outcomes;
    }

    /** Clustered unit vectors with a shared offset; a quarter near copies of a recent one; exact copies; failures. */
    static List<Item> input() {
        SplittableRandom r = new SplittableRandom(5);
        float[][] centres = new float[24][DIM];
        for (float[] c : centres) {
            for (int j = 0; j < DIM; j++) {
                c[j] = (float) (r.nextDouble() * 2 - 1) + 1f;
            }
        }
        List<Item> items = new ArrayList<>();
        List<float[]> made = new ArrayList<>();
        for (int i = 0; i < N; i++) {
            String id = "v" + i;
            Item item = Item.pending(id, "synthetic:" + i, Map.of(), "synthetic");
            item.width = 100 + r.nextInt(100);
            item.height = 100;
            item.bytes = 1000 + r.nextInt(100_000);
            if (i > 0 && i % 50 == 0) {
                int of = i - 1 - r.nextInt(Math.min(i, 20));
                of -= of > 0 && of % 50 == 0 ? 1 : 0; // never a copy of a copy
                items.add(item.duplicateOf("v" + of, 1f, DuplicateRow.MATCH_EXACT));
                continue;
            }
            if (i % 97 == 0) {
                items.add(item.fail("EMBED_FAILED", "synthetic failure"));
                continue;
            }
            float[] v = new float[DIM];
            if (!made.isEmpty() && r.nextDouble() < 0.25) {
                float[] of = made.get(made.size() - 1 - r.nextInt(Math.min(made.size(), 500)));
                double noise = 0.05 + r.nextDouble() * 0.25;
                for (int j = 0; j < DIM; j++) {
                    v[j] = of[j] + (float) ((r.nextDouble() * 2 - 1) * noise * Math.sqrt(3.0 / DIM));
                }
            } else {
                float[] c = centres[r.nextInt(centres.length)];
                for (int j = 0; j < DIM; j++) {
                    v[j] = c[j] + (float) ((r.nextDouble() * 2 - 1) * 1.2);
                }
            }
            made.add(v);
            items.add(item.indexed(v, "synthetic"));
        }
        return items;
    }
}
