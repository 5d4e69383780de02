package io.imgindex.job;

import io.imgindex.decode.DecodeFunction;
import io.imgindex.dedup.ExactDuplicateFunction;
import io.imgindex.dedup.UniqueIdFunction;
import io.imgindex.dedup.near.FollowFunction;
import io.imgindex.dedup.near.KeepOrder;
import io.imgindex.dedup.near.NearDupInput;
import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.dedup.near.NearDuplicateFunction;
import io.imgindex.dedup.near.PartitionKeys;
import io.imgindex.dedup.near.RouteFunction;
import io.imgindex.dedup.near.Routed;
import io.imgindex.dedup.near.Routing;
import io.imgindex.dedup.near.RoutingSample;
import io.imgindex.dedup.near.StreamingRoutingTrainer;
import io.imgindex.embed.EmbedFunction;
import io.imgindex.embed.EmbedTally;
import io.imgindex.fetch.FetchFunction;
import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import io.imgindex.item.TerminalSplitter;
import io.imgindex.job.base.BaseNearDuplicates;
import io.imgindex.job.base.BaseRows;
import io.imgindex.output.CommitWrites;
import io.imgindex.output.GenerationCommitter;
import io.imgindex.output.GenerationReport;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.GenerationWriter;
import io.imgindex.output.Generations;
import io.imgindex.output.InputTally;
import io.imgindex.output.MetadataAdmission;
import io.imgindex.output.StreamingCommitter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.streaming.api.datastream.AsyncDataStream;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.util.Collector;

/**
 * Wires the indexing pipeline from input items to a committed generation:
 *
 * <pre>
 * STREAMING:
 * items ─ tally ─ split ─ unique id ─ fetch ─ decode ─ exact dedup ─ embed ─ near the base ─ near dedup ─┐
 *                   │          │                │        └─ exact copies ─────────────────────┘            │
 *                   └──────────┴────────────────┴─ terminal ───────────────────────────────────────────────┴─ write ─ commit
 * (a stream on a base generation: unique id, exact dedup and near the base look up the base's ids, bytes and vectors)
 * BATCH:
 * items ─ tally ─ split ─ unique id ─ fetch ─ decode ─ embed ─ exact dedup ─ near dedup ─ ...
 * base rows (an append) ─┴─ (ids) ──────────────────────────────┘ (with their vectors)
 * </pre>
 *
 * <p>A stream on a base generation ({@code --base-generation}) checks its items against the base where it checks
 * them against each other: an id the base holds fails as {@code ALREADY_INDEXED}, bytes it holds are an exact
 * duplicate of its item, and an embedding at or above the threshold from its nearest base item is a near duplicate
 * of it ({@link BaseRows}, {@link BaseNearDuplicates}). The same decisions as an append, without the base's items
 * in the stream's state.
 *
 * <p>An append ({@code --append-to}) feeds the base generation's items, read back with their vectors, into the
 * unique-id step (a line with one of their ids fails as {@code ALREADY_INDEXED}), the exact step (a new copy of
 * their bytes is their duplicate) and the near step (they are kept first, whatever they resemble, so new images are
 * judged against them); the writers drop them, since their segments are listed as they are.
 *
 * <p>In BATCH every keyed exchange is blocking (its input is sorted before the next operator starts), so fetch,
 * decode and embed run chained, in one pipelined region, and the exact duplicates are found after the embedding:
 * what crosses the first blocking exchange after the fetch is an item with its vector, never its pixels.
 *
 * Every item ends in exactly one table; the tally and the writers report to the committer, which refuses to
 * commit counts that do not add up. The same wiring serves BATCH and STREAMING: the dedup functions differ in how
 * they pick the kept item, and in STREAMING the tally and writers report at every checkpoint and a {@link
 * StreamingCommitter} publishes each completed checkpoint as a generation. Stateful operators carry {@code uid}s
 * so savepoints map onto them.
 */
public final class IndexPipeline {

    private IndexPipeline() {}

    /**
     * @param items the input, one item per line of the URL lists (skipped lines included)
     * @param model the resolved model ({@link IndexJobConfig#resolveModel})
     * @param batch whether the job runs in BATCH mode
     * @return the committer's output: the path of the manifest it wrote
     */
    public static DataStream<String> build(
            DataStream<Item> items, IndexJobConfig config, JobModel model, GenerationTarget target, boolean batch) {
        return build(items, null, config, model, target, batch);
    }

    /**
     * The same, appending to a committed generation (BATCH).
     *
     * @param base the base generation's items ({@link Item#inBase}, with their vectors), or null
     */
    public static DataStream<String> build(
            DataStream<Item> items,
            DataStream<Item> base,
            IndexJobConfig config,
            JobModel model,
            GenerationTarget target,
            boolean batch) {
        if (base != null && !batch) {
            throw new IllegalArgumentException("only a BATCH run appends to a generation");
        }
        TypeInformation<Item> itemType = TypeInformation.of(Item.class);

        SingleOutputStreamOperator<Item> read = items.transform(
                        "tally input", itemType, new InputTally(target.streaming()))
                .uid("input-tally");
        SingleOutputStreamOperator<Item> admitted = read.process(
                        new MetadataAdmission(baseMetadataColumns(target)), itemType)
                .name("metadata columns")
                .uid("metadata-columns")
                .setParallelism(1)
                .setMaxParallelism(1);
        SingleOutputStreamOperator<Item> pending = admitted.process(new TerminalSplitter(), itemType)
                .name("split bad records")
                .uid("split");
        DataStream<Item> lines = pending;
        if (base != null) {
            // Their ids only: the unique-id step needs no vector.
            lines = pending.union(
                    base.map(IndexPipeline::idOnly, itemType).name("base ids").uid("base-ids"));
        }
        // A stream checks new items against the generation it builds on through that generation's keys and
        // segments (a restored stream against the one it started on, which its operators keep in state); an
        // append feeds the base's items in as input instead.
        String root = target.indexRoot().toString();
        long streamBase = target.baseGeneration();
        SingleOutputStreamOperator<Item> unique = lines.keyBy(item -> item.id)
                .process(
                        batch
                                ? new UniqueIdFunction(true)
                                : new UniqueIdFunction(new BaseRows(root, streamBase, BaseRows.Key.ID)),
                        itemType)
                .name("unique ids")
                .uid("unique-id");
        SingleOutputStreamOperator<Item> fetched = AsyncDataStream.unorderedWait(
                        unique,
                        new FetchFunction(config.fetch()),
                        config.fetchOperatorTimeout().toMillis(),
                        TimeUnit.MILLISECONDS,
                        config.fetchInFlight())
                .name("fetch")
                .uid("fetch");
        SingleOutputStreamOperator<Item> decoded = fetched.process(new DecodeFunction(model.decode()), itemType)
                .name("decode")
                .uid("decode");
        SingleOutputStreamOperator<Item> distinct;
        SingleOutputStreamOperator<Item> embedded;
        if (batch) {
            // BATCH makes every keyed exchange blocking: nothing after it starts before everything before it ends.
            // So fetch, decode and embed run chained, together, and exact copies are found after the embedding,
            // on items that carry a vector instead of pixels (the embedding remembers recent bytes, so a copy met
            // again is not embedded twice).
            DataStream<Item> vectors = embed(decoded, config, model);
            if (base != null) {
                vectors = vectors.union(base);
            }
            distinct = vectors.keyBy(IndexPipeline::bytesKey)
                    .process(new ExactDuplicateFunction(true), itemType)
                    .name("exact duplicates")
                    .uid("exact-dedup");
            embedded = distinct;
        } else {
            // STREAMING: exchanges are pipelined; exact copies are dropped before they cost an embedding.
            distinct = decoded.keyBy(item -> item.sha256)
                    .process(new ExactDuplicateFunction(new BaseRows(root, streamBase, BaseRows.Key.SHA256)), itemType)
                    .name("exact duplicates")
                    .uid("exact-dedup");
            embedded = embed(distinct, config, model);
            if (model.nearDup() != null) {
                embedded = embedded.process(
                                new BaseNearDuplicates(
                                        root, streamBase, model.nearDup().threshold()),
                                itemType)
                        .name("near the base")
                        .uid("near-dup-base");
            }
        }

        DataStream<Item> deduplicated = embedded.union(distinct.getSideOutput(Outcomes.TERMINAL));
        if (model.nearDup() != null) {
            deduplicated = nearDuplicates(
                    deduplicated,
                    model.nearDup(),
                    model.card().dimension(),
                    config.nearDupPartitions(),
                    config.nearDupMargin(),
                    config.nearDupRoutingWait(),
                    batch);
        }

        DataStream<Item> outcomes = deduplicated.union(
                pending.getSideOutput(Outcomes.TERMINAL),
                unique.getSideOutput(Outcomes.TERMINAL),
                decoded.getSideOutput(Outcomes.TERMINAL));

        int shards = config.shards();
        DataStream<GenerationReport> written = outcomes.partitionCustom(
                        (key, n) -> key % n, item -> GenerationWriter.partitionKey(item, shards))
                .transform(
                        "write generation",
                        TypeInformation.of(GenerationReport.class),
                        new GenerationWriter(target, model.segments()))
                .uid("writer");

        Map<String, String> storeSettings = CommitWrites.storeSettings(written.getExecutionEnvironment());
        return written.union(read.getSideOutput(InputTally.REPORTS))
                .transform(
                        "commit generation",
                        Types.STRING,
                        target.streaming()
                                ? new StreamingCommitter(target, config.retain(), storeSettings)
                                : new GenerationCommitter(target, config.retain(), storeSettings))
                .setParallelism(1)
                .setMaxParallelism(1)
                .uid("committer");
    }

    /** The metadata columns of the generation a run builds on (an append's, a stream's), which count to the bound. */
    static Set<String> baseMetadataColumns(GenerationTarget target) {
        if (target.baseGeneration() <= 0) {
            return Set.of();
        }
        try {
            return Generations.readManifest(Generations.manifestPath(target.indexRoot(), target.baseGeneration()))
                    .metadataColumns()
                    .keySet();
        } catch (IOException e) {
            throw new UncheckedIOException("could not read the manifest of generation " + target.baseGeneration(), e);
        }
    }

    /**
     * Near-duplicate removal over the partitions of a {@link Routing}: embedded items are routed (home plus the
     * neighbours a kept item is remembered in) and decided per partition, keyed by partition, so the work and the
     * state spread over the operator's subtasks; exact copies and failures skip it and meet the decisions in the
     * follow step, keyed by item id. BATCH trains the routing on a sample of the run's own vectors (chosen by id,
     * so any parallelism trains the same one) and broadcasts it, which Flink reads before the items; STREAMING
     * trains it on the first vectors of the stream (items wait for it, at most {@code routingWait}) and keeps it in
     * the router's broadcast state for the life of the job, savepoints included.
     */
    static DataStream<Item> nearDuplicates(
            DataStream<Item> in,
            NearDupParams params,
            int dimension,
            int partitions,
            float margin,
            Duration routingWait,
            boolean batch) {
        TypeInformation<Item> itemType = TypeInformation.of(Item.class);
        TypeInformation<Routed> routedType = TypeInformation.of(Routed.class);
        SingleOutputStreamOperator<Item> decidable =
                in.process(new NearDupInput(), itemType).name("near-dup input").uid("near-dup-input");
        DataStream<Routed> routed;
        if (partitions > 1) {
            int sample = partitions * Routing.SAMPLE_PER_PARTITION;
            TypeInformation<RoutingSample.Vector> vectorType = TypeInformation.of(RoutingSample.Vector.class);
            DataStream<RoutingSample.Vector> candidates = decidable
                    .flatMap(
                            (Item item, Collector<RoutingSample.Vector> out) -> {
                                RoutingSample.Vector v = RoutingSample.candidate(item);
                                if (v != null) {
                                    out.collect(v);
                                }
                            },
                            vectorType)
                    .name("routing sample candidates")
                    .uid("routing-candidates");
            SingleOutputStreamOperator<Routing> routing = batch
                    ? candidates
                            .transform("routing sample", vectorType, RoutingSample.sampler(sample))
                            .uid("routing-sample")
                            .transform(
                                    "train routing",
                                    TypeInformation.of(Routing.class),
                                    RoutingSample.trainer(sample, partitions, margin))
                    : candidates.transform(
                            "train routing",
                            TypeInformation.of(Routing.class),
                            new StreamingRoutingTrainer(sample, partitions, margin, routingWait.toMillis()));
            routing.setParallelism(1).setMaxParallelism(1).uid("routing-train");
            routed = decidable
                    .connect(routing.broadcast(RouteFunction.STATE))
                    .process(new RouteFunction(params, dimension), routedType)
                    .name("route to partitions")
                    .uid("near-dup-route");
        } else {
            Routing one = Routing.single();
            PartitionKeys oneKey = PartitionKeys.of(one);
            routed = decidable
                    .flatMap(
                            (Item item, Collector<Routed> out) -> RouteFunction.routeItem(one, oneKey, null, item, out),
                            routedType)
                    .name("route to partitions")
                    .uid("near-dup-route");
        }
        if (batch) {
            // BATCH sorts a keyed input by key, then timestamp: the timestamp is the order of keeping.
            routed = routed.assignTimestampsAndWatermarks(WatermarkStrategy.<Routed>noWatermarks()
                            .withTimestampAssigner(
                                    (r, previous) -> r.item == null ? Long.MIN_VALUE : KeepOrder.of(r.item)))
                    .name("order of keeping")
                    .uid("keep-order");
        }
        SingleOutputStreamOperator<Item> decided = routed.keyBy(new PartitionKeys(partitions), Types.INT)
                .process(new NearDuplicateFunction(params, dimension, batch), itemType)
                .name("near duplicates")
                .uid("near-dedup")
                .setMaxParallelism(PartitionKeys.MAX_PARALLELISM);
        SingleOutputStreamOperator<Item> followed = decided.getSideOutput(NearDuplicateFunction.DECISIONS)
                .union(decidable.getSideOutput(NearDupInput.FOLLOW))
                .keyBy(s -> s.id, Types.STRING)
                .process(new FollowFunction(params, batch), itemType)
                .name("exact copies follow")
                .uid("near-dup-follow");
        return decided.union(followed, decidable.getSideOutput(NearDupInput.DONE));
    }

    /** The key of the exact-copy step: the bytes' SHA-256 (a base row written without one is its own). */
    private static String bytesKey(Item item) {
        return item.sha256 != null ? item.sha256 : "id:" + item.id;
    }

    /** A base item as the unique-id step needs it: id and URL. */
    private static Item idOnly(Item base) {
        Item i = Item.pending(base.id, base.url, null, base.source);
        i.status = base.status;
        i.inBase = true;
        return i;
    }

    private static SingleOutputStreamOperator<Item> embed(
            DataStream<Item> decoded, IndexJobConfig config, JobModel model) {
        return AsyncDataStream.unorderedWait(
                        decoded,
                        new EmbedFunction(model.embed()),
                        config.embedTimeout().toMillis(),
                        TimeUnit.MILLISECONDS,
                        Math.max(2, model.embed().batchSize() * 4))
                .name("embed")
                .uid("embed")
                .process(new EmbedTally(), TypeInformation.of(Item.class))
                .name("count embedded")
                .uid("embed-tally");
    }
}
