package io.imgindex.cli;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.flags.Settings;
import io.imgindex.flags.UsageException;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.S3Settings;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;

/**
 * {@code imgindex inspect}: reads a generation as a server would (manifest first, every file checked against it),
 * prints its counts and a few rows of each table, and answers one nearest-neighbour query by exact search.
 */
public final class InspectCommand {

    static final Option<String> INDEX = Options.key("index")
            .stringType()
            .defaultValue("indexes")
            .withDescription("Where the indexes live: a local folder or an s3a:// URI (the job's --output).");
    static final Option<String> NAME =
            Options.key("name").stringType().defaultValue("images").withDescription("The index name.");
    static final Option<Long> GENERATION = Options.key("generation")
            .longType()
            .noDefaultValue()
            .withDescription("The generation to read. Default: the one _LATEST points to.");
    static final Option<Integer> ROWS =
            Options.key("rows").intType().defaultValue(5).withDescription("Rows shown per table.");
    static final Option<String> SIMILAR = Options.key("similar")
            .stringType()
            .noDefaultValue()
            .withDescription("Show the nearest neighbours of this item id. Default: the first indexed item.");
    static final Option<Integer> K =
            Options.key("k").intType().defaultValue(5).withDescription("How many neighbours to show.");

    static final List<Option<?>> OPTIONS = List.of(INDEX, NAME, GENERATION, ROWS, SIMILAR, K);

    static final String USAGE =
            "imgindex inspect [--index DIR_OR_URI] [--name NAME] [--generation N]" + " [--similar ID]";

    static final String SUMMARY = "Reads one generation of an index, checks every file against its manifest"
            + " (size, SHA-256, row count), prints the counts and a few rows of each table, and answers a"
            + " nearest-neighbour query by exact search.";

    private InspectCommand() {}

    /** {@code imgindex inspect}. */
    public static final Command COMMAND =
            new Command("inspect", USAGE, SUMMARY, OPTIONS, Flags.Conf.S3, false, InspectCommand::run);

    /** Runs the command; returns the exit code. */
    static int run(Flags.Parsed parsed, PrintStream out) throws Exception {
        Settings c = parsed.options();
        Configuration hadoop = S3Settings.hadoopConf(parsed.flinkConf());
        GenerationReader reader = GenerationReader.open(c.get(INDEX), c.get(NAME), hadoop);
        Optional<LatestPointer> latest = reader.latest();
        long generation;
        if (c.getOptional(GENERATION).isPresent()) {
            generation = c.get(GENERATION);
        } else if (latest.isPresent()) {
            generation = latest.get().generation();
        } else {
            throw new UsageException("no committed generation at " + reader.root() + " (no _LATEST)");
        }
        Manifest m = reader.manifest(generation);
        out.printf(
                "index '%s' at %s, generation %d%s (generations present: %s)%n",
                m.indexName(),
                reader.root(),
                generation,
                latest.map(l -> l.generation() == generation ? ", the latest" : "")
                        .orElse(""),
                reader.generations());
        out.printf(
                "model %s, %d dimensions, %s; %d shards; format version %d%n",
                m.model().id(), m.model().dimension(), m.model().metric(), m.shards(), m.formatVersion());
        out.println(m.counts().summary());
        if (!m.counts().failedByReason().isEmpty()) {
            out.println("failed by reason: " + m.counts().failuresByReason());
        }
        long bytes = m.files().stream().mapToLong(ManifestFile::bytes).sum();
        try {
            reader.verify(m);
        } catch (IndexFormatException e) {
            out.println("VERIFICATION FAILED: " + e.getMessage());
            return 1;
        }
        out.printf(
                "verified %d files, %.1f KiB: sizes, SHA-256 and row counts match the manifest%n",
                m.files().size(), bytes / 1024.0);

        int rows = c.get(ROWS);
        List<IndexRow> index = new ArrayList<>();
        reader.readIndex(m, index::add);
        index.sort(Comparator.comparing(IndexRow::id));
        out.printf("%nindex (%d rows, first %d by id):%n", index.size(), Math.min(rows, index.size()));
        for (IndexRow r : index.subList(0, Math.min(rows, index.size()))) {
            out.printf(
                    "  %-24s %-5s %4dx%-4d %7d B  %s%s%n",
                    r.id(), r.format(), r.width(), r.height(), r.bytes(), r.url(), metadata(r.metadata()));
        }
        List<DuplicateRow> duplicates = new ArrayList<>();
        reader.readDuplicates(m, duplicates::add);
        out.printf("%nduplicates (%d rows):%n", duplicates.size());
        for (DuplicateRow r : duplicates.subList(0, Math.min(rows, duplicates.size()))) {
            out.printf(
                    "  %-24s duplicate of %-24s %s %.4f  %s%n",
                    r.id(), r.duplicateOf(), r.match(), r.similarity(), r.url());
        }
        List<FailureRow> failures = new ArrayList<>();
        reader.readFailures(m, failures::add);
        out.printf("%nfailures (%d rows):%n", failures.size());
        for (FailureRow r : failures.subList(0, Math.min(rows, failures.size()))) {
            out.printf("  %-24s %-18s %s%n", r.id() == null ? "-" : r.id(), r.reason(), r.message());
        }
        if (!index.isEmpty()) {
            String id = c.getOptional(SIMILAR).orElse(index.get(0).id());
            IndexRow query = index.stream()
                    .filter(r -> r.id().equals(id))
                    .findFirst()
                    .orElseThrow(() -> new UsageException("--similar " + id + ": no such id in the index"));
            out.printf(
                    "%nnearest neighbours of '%s' (exact search over %d vectors, %s):%n",
                    id, index.size(), m.model().metric());
            index.stream()
                    .map(r -> Map.entry(r, dot(query.vector(), r.vector())))
                    .sorted(Map.Entry.<IndexRow, Double>comparingByValue().reversed())
                    .limit(c.get(K))
                    .forEach(e -> out.printf(
                            "  %.4f  %-24s %s%n",
                            e.getValue(), e.getKey().id(), e.getKey().url()));
        }
        return 0;
    }

    private static String metadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return "";
        }
        String title = metadata.get("title");
        return title != null ? "  \"" + title + "\"" : "  " + metadata.keySet();
    }

    private static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }
}
