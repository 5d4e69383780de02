package io.imgindex.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.imgindex.format.DuplicateRow;
import io.imgindex.format.FailureRow;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.IndexRow;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.Sha256;
import io.imgindex.output.GenerationTarget;
import io.imgindex.output.Generations;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A committed generation as the input of a batch run: a backfill. Everything the generation accounts for (every
 * row of its index, duplicates and failures tables) is indexed again, for example with a new model or another
 * number of shards, into a new generation that servers switch to only once it is complete.
 *
 * <p>Named on the command line by the index's {@code _LATEST} or a generation's {@code _manifest.json}. The rows'
 * id, URL and metadata are written to a JSON-lines list under the new index ({@code _inputs/}), which the job then
 * reads like any list, so task managers need nothing else. Files are read through Flink's file systems (S3 as a
 * plugin) and checked against the manifest (size and SHA-256) before they are used.
 */
final class GenerationInput {

    private static final Logger LOG = LoggerFactory.getLogger(GenerationInput.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private GenerationInput() {}

    /** Whether an input names a generation rather than URL lists. */
    static boolean isGeneration(String input) {
        String name = input.replaceAll("/+$", "");
        name = name.substring(name.lastIndexOf('/') + 1);
        return name.equals(IndexLayout.LATEST) || name.equals(IndexLayout.MANIFEST);
    }

    /**
     * Writes the generation's rows as a URL list under {@code outputRoot} and returns the list's path.
     *
     * @throws IllegalArgumentException if the input is not a committed generation
     */
    static Path materialise(String input, Path outputRoot, String runId) throws IOException {
        Path named = GenerationTarget.outputPath(input);
        FileSystem fs = named.getFileSystem();
        if (!fs.exists(named)) {
            throw new IllegalArgumentException("--input " + input + ": no such file");
        }
        Path indexRoot;
        Path manifestPath;
        if (named.getName().equals(IndexLayout.LATEST)) {
            indexRoot = named.getParent();
            LatestPointer latest = ManifestCodec.decodeLatest(Generations.readAll(fs, named));
            manifestPath = new Path(indexRoot, latest.manifest());
        } else {
            manifestPath = named;
            indexRoot = named.getParent().getParent();
        }
        Manifest m = Generations.readManifest(manifestPath);
        Path list = new Path(
                outputRoot,
                "_inputs/backfill-" + m.indexName() + "-generation-" + m.generation() + "-" + runId + ".jsonl");
        long rows = 0;
        try (FSDataOutputStream out = list.getFileSystem().create(list, FileSystem.WriteMode.NO_OVERWRITE);
                Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8))) {
            for (ManifestFile f : m.files()) {
                if (!f.holdsRows()) {
                    continue; // a segment's graph or PQ codes: the rows are in its rows file
                }
                byte[] bytes = verified(fs, Generations.listedPath(indexRoot, m, f), f);
                switch (f.tableKind()) {
                    case INDEX -> {
                        for (IndexRow r : GenerationReader.parseRows(bytes, IndexRow::fromGroup)) {
                            write(w, r.id(), r.url(), r.metadata());
                            rows++;
                        }
                    }
                    case DUPLICATES -> {
                        for (DuplicateRow r : GenerationReader.parseRows(bytes, DuplicateRow::fromGroup)) {
                            write(w, r.id(), r.url(), r.metadata());
                            rows++;
                        }
                    }
                    default -> {
                        for (FailureRow r : GenerationReader.parseRows(bytes, FailureRow::fromGroup)) {
                            write(w, r.id(), r.url(), r.metadata());
                            rows++;
                        }
                    }
                }
            }
        }
        long accounted =
                m.counts().indexed() + m.counts().duplicates() + m.counts().failed();
        if (rows != accounted) {
            throw new IOException("generation " + m.generation() + " of " + m.indexName() + " lists " + accounted
                    + " rows but its files hold " + rows);
        }
        LOG.info("Backfill: {} rows of generation {} of {} listed in {}", rows, m.generation(), m.indexName(), list);
        return list;
    }

    private static byte[] verified(FileSystem fs, Path p, ManifestFile f) throws IOException {
        byte[] bytes = Generations.readAll(fs, p);
        if (bytes.length != f.bytes() || !Sha256.hex(bytes).equals(f.sha256())) {
            throw new IOException(p + " does not match its manifest entry (size or SHA-256)");
        }
        return bytes;
    }

    private static void write(Writer w, String id, String url, Map<String, String> metadata) throws IOException {
        ObjectNode n = JSON.createObjectNode();
        if (id != null) {
            n.put("id", id);
        }
        n.put("url", url);
        metadata.forEach(n::put);
        w.write(JSON.writeValueAsString(n));
        w.write('\n');
    }
}
