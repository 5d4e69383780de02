package io.imgindex.job;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Table;
import io.imgindex.format.segment.ThumbnailPack;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import io.imgindex.output.CommitWrites;
import io.imgindex.output.CompactionCommitter;
import io.imgindex.output.FlinkInputFile;
import io.imgindex.output.GenerationReport;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.GenerationWriter;
import io.imgindex.output.Generations;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.api.common.RuntimeExecutionMode;
import org.apache.flink.api.common.functions.RichFlatMapFunction;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.ExecutionOptions;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.core.plugin.PluginUtils;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.LocalStreamEnvironment;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;
import org.apache.flink.util.Collector;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Compaction: a Flink BATCH job that merges each shard's small segments (below {@code --below-rows}) into one, with
 * a graph built over all of their rows, and publishes a new generation with the same rows and counts: the merged
 * segments replaced, every other segment and file listed as it is. A format version 1 generation (flat files) is
 * converted whole: each shard becomes one segment. Then, with {@code --retain N}, generations older than the last N
 * and the files only they listed are deleted ({@link Generations#retain}).
 *
 * <p>The rows are read back from the segments' Parquet files as they stream (never a whole file in memory), routed
 * to the writer task of their shard, and written as by the index job ({@link GenerationWriter}).
 */
public final class CompactJob {

    private static final Logger LOG = LoggerFactory.getLogger(CompactJob.class);

    public static final String USAGE =
            "imgindex compact --index DIR_OR_URI --name NAME [--below-rows N] [--retain N]" + " [options]";

    public static final String SUMMARY = "Merges each shard's small segments (a stream's commits, appends) into one"
            + " segment with one graph, and publishes the result as a new generation with the same rows; converts a"
            + " format version 1 generation into segments. With --retain N, then deletes generations older than the"
            + " last N and every file only they list (never a file a kept generation lists, never a run's files"
            + " before it commits). Runs on an embedded MiniCluster, or as the entry class of a FlinkDeployment.";

    private CompactJob() {}

    /**
     * One shard's merge: the segments (or version 1 files) it replaces.
     *
     * @param thumbnailFiles beside each rows file, its segment's thumbnail pack, or "" when it has none
     */
    public record ShardPlan(
            int shard, List<String> segmentIds, List<String> rowFiles, List<String> thumbnailFiles, long rows)
            implements Serializable {}

    /** What a compaction does, decided before the job starts. */
    public record Plan(Manifest base, List<ShardPlan> shards) {

        public boolean empty() {
            return shards.isEmpty();
        }
    }

    /** The outcome, for the summary. */
    public record Result(Plan plan, Manifest manifest, Generations.Retained retained, Duration took) {}

    /** Which segments of {@code base} a compaction merges: per shard, all below {@code belowRows}, if two or more. */
    /** Every segment's rows file of a generation, as {@code [shard, path from the index root]}. */
    static List<String[]> rowFiles(Manifest m) {
        List<String[]> files = new ArrayList<>();
        for (SegmentInfo s : m.segments()) {
            files.add(new String[] {
                Integer.toString(s.shard()),
                IndexLayout.rootRelative(
                        m.generation(), m.filesOf(s).get(ManifestFile.ROWS).path())
            });
        }
        return files;
    }

    /**
     * The items of the generation an append builds on, read back from its segments with their vectors, marked
     * {@link Item#inBase}; null when it has no indexed rows.
     */
    static DataStream<Item> baseItems(StreamExecutionEnvironment env, GenerationTarget target) throws IOException {
        Manifest m = Generations.readManifest(Generations.manifestPath(target.indexRoot(), target.baseGeneration()));
        List<String[]> files = rowFiles(m);
        if (files.isEmpty()) {
            return null;
        }
        return env.fromData(files, Types.OBJECT_ARRAY(Types.STRING))
                .name("base segments")
                .uid("base-segments")
                .flatMap(
                        new ReadRows(target.indexRoot().toString(), m.model().id(), true),
                        TypeInformation.of(Item.class))
                .name("read base rows")
                .uid("base-rows");
    }

    public static Plan plan(Manifest base, long belowRows) {
        List<ShardPlan> shards = new ArrayList<>();
        if (!base.hasSegments()) {
            Map<Integer, List<ManifestFile>> byShard = new TreeMap<>();
            for (ManifestFile f : base.filesOf(Table.INDEX)) {
                byShard.computeIfAbsent(f.shard(), k -> new ArrayList<>()).add(f);
            }
            byShard.forEach((shard, files) -> shards.add(new ShardPlan(
                    shard,
                    List.of(),
                    files.stream()
                            .map(f -> IndexLayout.rootRelative(base.generation(), f.path()))
                            .toList(),
                    files.stream().map(f -> "").toList(),
                    files.stream().mapToLong(ManifestFile::rows).sum())));
            return new Plan(base, shards);
        }
        Map<Integer, List<SegmentInfo>> small = new TreeMap<>();
        for (SegmentInfo s : base.segments()) {
            if (s.rows() < belowRows) {
                small.computeIfAbsent(s.shard(), k -> new ArrayList<>()).add(s);
            }
        }
        small.forEach((shard, segments) -> {
            if (segments.size() >= 2) {
                List<String> files = new ArrayList<>();
                List<String> thumbnails = new ArrayList<>();
                for (SegmentInfo s : segments) {
                    Map<String, ManifestFile> own = base.filesOf(s);
                    files.add(IndexLayout.rootRelative(
                            base.generation(), own.get(ManifestFile.ROWS).path()));
                    ManifestFile pack = own.get(ManifestFile.THUMBNAILS);
                    thumbnails.add(pack == null ? "" : IndexLayout.rootRelative(base.generation(), pack.path()));
                }
                shards.add(new ShardPlan(
                        shard,
                        segments.stream().map(SegmentInfo::id).toList(),
                        files,
                        thumbnails,
                        segments.stream().mapToLong(SegmentInfo::rows).sum()));
            }
        });
        return new Plan(base, shards);
    }

    /**
     * Runs a compaction on the cluster that started this JVM ({@code flink run}, the Kubernetes operator). It
     * returns rather than exits: in application mode this method runs inside the job manager.
     */
    public static void main(String[] args) throws Exception {
        new Command("compact", USAGE, SUMMARY, CompactOptions.ALL, Flags.Conf.FLINK, false, (parsed, out) -> {
                    out.print(summary(run(CompactOptions.config(parsed.options()), parsed.flinkConf())));
                    return 0;
                })
                .run(args, System.out);
    }

    /** Runs a compaction (and retention); returns what it did. */
    public static Result run(CompactOptions.Config config, Map<String, String> flinkSettings) throws Exception {
        long start = System.nanoTime();
        Configuration flinkConf = Configuration.fromMap(flinkSettings);
        flinkConf.set(ExecutionOptions.RUNTIME_MODE, RuntimeExecutionMode.BATCH);
        flinkConf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(flinkConf);
        if (env instanceof LocalStreamEnvironment) {
            FileSystem.initialize(flinkConf, PluginUtils.createPluginManagerFromRootFolder(flinkConf));
        }
        Path root = new Path(GenerationTarget.outputPath(config.index()), config.name());
        long baseGeneration = config.generation() > 0
                ? config.generation()
                : Generations.readLatest(root)
                        .map(LatestPointer::generation)
                        .orElseThrow(() -> new IllegalArgumentException(
                                "--name " + config.name() + ": no committed generation under " + root));
        Manifest base = Generations.readManifest(Generations.manifestPath(root, baseGeneration));
        Plan plan = plan(base, config.belowRows());
        Manifest manifest = null;
        if (!plan.empty()) {
            Instant startedAt = Instant.now();
            GenerationTarget target = new GenerationTarget(
                    config.index(),
                    config.name(),
                    0,
                    base.shards(),
                    base.model().id(),
                    base.model().dimension(),
                    base.model().metric(),
                    1 << 20,
                    RuntimeExecutionMode.BATCH.name(),
                    List.of(Generations.manifestPath(root, baseGeneration).toString()),
                    startedAt.toString(),
                    List.of("compact=" + baseGeneration, "below-rows=" + config.belowRows()),
                    GenerationTarget.newRunId(startedAt));
            long generation = Generations.reserveNext(
                    root,
                    "{\"compacts\":" + baseGeneration + ",\"started_at\":\"" + startedAt + "\"}\n",
                    CommitWrites.storeSettings(env));
            target = target.withGeneration(generation);
            int parallelism = config.parallelism() != null
                    ? config.parallelism()
                    : Math.max(
                            1,
                            Math.min(plan.shards().size(), Runtime.getRuntime().availableProcessors()));
            env.setParallelism(parallelism);
            List<String[]> files = new ArrayList<>();
            for (ShardPlan s : plan.shards()) {
                for (int f = 0; f < s.rowFiles().size(); f++) {
                    files.add(new String[] {
                        Integer.toString(s.shard()),
                        s.rowFiles().get(f),
                        s.thumbnailFiles().get(f)
                    });
                }
            }
            TypeInformation<Item> itemType = TypeInformation.of(Item.class);
            String rootUri = root.toString();
            String modelId = base.model().id();
            DataStream<Item> rows = env.fromData(files, Types.OBJECT_ARRAY(Types.STRING))
                    .name("segments to merge")
                    .flatMap(new ReadRows(rootUri, modelId, false), itemType)
                    .name("read rows")
                    .uid("read-rows");
            int shards = base.shards();
            DataStream<GenerationReport> written = rows.partitionCustom(
                            (key, n) -> key % n, item -> GenerationWriter.partitionKey(item, shards))
                    .transform(
                            "write segments",
                            TypeInformation.of(GenerationReport.class),
                            new GenerationWriter(
                                    target, config.segments(base.model().dimension())))
                    .uid("writer");
            written.transform(
                            "commit compaction",
                            Types.STRING,
                            new CompactionCommitter(target, plan, CommitWrites.storeSettings(env)))
                    .setParallelism(1)
                    .setMaxParallelism(1)
                    .uid("committer")
                    .sinkTo((Sink<String>) new DiscardingSink<String>())
                    .name("done");
            LOG.info(
                    "Compacting generation {} of {} into generation {}: {}",
                    baseGeneration,
                    config.name(),
                    generation,
                    plan.shards());
            JobExecutionResult execution = env.execute("imgindex compact " + config.name() + " " + baseGeneration);
            if (execution.isJobExecutionResult()) {
                manifest = Generations.readManifest(Generations.manifestPath(root, generation));
            }
        }
        Generations.Retained retained = config.retain() > 0 ? Generations.retain(root, config.retain()) : null;
        return new Result(plan, manifest, retained, Duration.ofNanos(System.nanoTime() - start));
    }

    /** The lines printed when a compaction ends. */
    public static String summary(Result r) {
        StringBuilder s = new StringBuilder();
        Manifest base = r.plan().base();
        if (r.plan().empty()) {
            s.append("imgindex: nothing to compact in generation ")
                    .append(base.generation())
                    .append(" of index '")
                    .append(base.indexName())
                    .append("' (no shard has two segments below --below-rows)\n");
        } else if (r.manifest() == null) {
            s.append("imgindex: compaction submitted; it publishes a new generation when it ends\n");
        } else {
            Manifest m = r.manifest();
            s.append(String.format(
                    "imgindex: compacted generation %d of index '%s' into generation %d (%.1f s)%n",
                    base.generation(),
                    base.indexName(),
                    m.generation(),
                    r.took().toMillis() / 1000.0));
            for (ShardPlan p : r.plan().shards()) {
                s.append(String.format(
                        "  shard %d: %s (%d rows) into 1 segment%n",
                        p.shard(),
                        base.hasSegments()
                                ? p.segmentIds().size() + " segments"
                                : p.rowFiles().size() + " flat files",
                        p.rows()));
            }
            s.append("  ").append(m.counts().summary()).append('\n');
            s.append(RunSummary.segmentLine(m));
        }
        if (r.retained() != null) {
            s.append("  retention: kept generations ")
                    .append(r.retained().kept())
                    .append(", deleted ")
                    .append(r.retained().deletedGenerations())
                    .append(" and ")
                    .append(r.retained().deletedFiles())
                    .append(" files only they listed\n");
        }
        return s.toString();
    }

    /** Reads the rows of one Parquet file of a segment (or a version 1 index file) as indexed items. */
    static final class ReadRows extends RichFlatMapFunction<String[], Item> {
        private static final long serialVersionUID = 1L;
        private final String root;
        private final String modelId;
        private final boolean inBase;

        /** @param inBase whether the rows are the base of an append ({@link Item#inBase}) */
        ReadRows(String root, String modelId, boolean inBase) {
            this.root = root;
            this.modelId = modelId;
            this.inBase = inBase;
        }

        /**
         * @param shardAndFile the shard, a rows file from the index root and, optionally, its segment's thumbnail
         *     pack ("" for none), read row by row beside it
         */
        @Override
        public void flatMap(String[] shardAndFile, Collector<Item> out) throws Exception {
            Path file = new Path(new Path(root), shardAndFile[1]);
            ThumbnailPack.Sequential thumbnails = null;
            try (ParquetReader<Group> reader = new ParquetReader.Builder<Group>(new FlinkInputFile(file)) {
                @Override
                protected ReadSupport<Group> getReadSupport() {
                    return new GroupReadSupport();
                }
            }.build()) {
                if (shardAndFile.length > 2 && !shardAndFile[2].isEmpty()) {
                    Path pack = new Path(new Path(root), shardAndFile[2]);
                    thumbnails =
                            new ThumbnailPack.Sequential(pack.getFileSystem().open(pack));
                }
                long rows = 0;
                for (Group g; (g = reader.read()) != null; rows++) {
                    Item item = item(IndexRow.fromGroup(g));
                    item.thumbnail = thumbnails == null ? null : thumbnails.next(); // fails past the pack's rows
                    out.collect(item);
                }
                if (thumbnails != null && thumbnails.rows() != rows) {
                    throw new IOException(shardAndFile[2] + " holds " + thumbnails.rows() + " rows' thumbnails, "
                            + shardAndFile[1] + " " + rows + " rows");
                }
            } finally {
                if (thumbnails != null) {
                    thumbnails.close();
                }
            }
        }

        private Item item(IndexRow r) {
            Item i = new Item();
            i.id = r.id();
            i.url = r.url();
            i.vector = r.vector();
            i.modelId = Optional.ofNullable(r.modelId()).orElse(modelId);
            i.width = r.width();
            i.height = r.height();
            i.format = r.format();
            i.bytes = r.bytes();
            i.sha256 = r.sha256();
            i.timestampMillis = r.ingestedAtMillis();
            i.source = r.source();
            i.metadata = r.metadata();
            i.status = Status.INDEXED;
            i.inBase = inBase;
            return i;
        }
    }
}
