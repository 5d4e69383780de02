package io.imgindex.output;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.LatestPointer;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestCodec;
import io.imgindex.format.ManifestFile;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileStatus;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.FileSystemKind;
import org.apache.flink.core.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generation bookkeeping on any Flink file system: reserving the next number, reading and replacing the
 * {@code _LATEST} pointer, writing small files so that readers see either the old or the new content.
 */
public final class Generations {

    private static final Logger LOG = LoggerFactory.getLogger(Generations.class);

    /** A marker written when a generation's number is reserved; a generation without a manifest is incomplete. */
    public static final String STARTED_MARKER = "_STARTED";

    private Generations() {}

    /**
     * Reserves the next generation number under an index root: one more than the highest {@code generation=<n>}
     * folder present, complete or not (a failed run's number is never reused), starting at 1. The folder gets a
     * {@value #STARTED_MARKER} marker, created only if absent ({@link CommitWrites#createIfAbsent}: atomic on a
     * local file system and on S3); if another run created it first, the next number is tried.
     *
     * @param storeSettings the {@code s3.*} settings of the cluster ({@link CommitWrites#storeSettings})
     */
    public static long reserveNext(Path indexRoot, String runDescription, Map<String, String> storeSettings)
            throws IOException {
        CommitWrites writes = CommitWrites.forRoot(indexRoot, storeSettings);
        byte[] description = runDescription.getBytes(StandardCharsets.UTF_8);
        long n = highest(indexRoot.getFileSystem(), indexRoot) + 1;
        for (int tries = 0; tries < 1000; tries++, n++) {
            Path marker = new Path(new Path(indexRoot, IndexLayout.generationDir(n)), STARTED_MARKER);
            if (writes.createIfAbsent(marker, description)) {
                return n;
            }
            // Another run reserved it first: try the next number.
        }
        throw new IOException("could not reserve a generation under " + indexRoot + " after 1000 attempts");
    }

    /** The local path of a {@code file:} path (or one without a scheme on the local file system), else null. */
    static java.nio.file.Path localPath(Path p) throws IOException {
        URI uri = p.toUri();
        boolean local = "file".equals(uri.getScheme())
                || (uri.getScheme() == null
                        && p.getFileSystem().getUri().getScheme().equals("file"));
        return local ? Paths.get(uri.getPath()) : null;
    }

    /** The highest generation folder number present, 0 if none. */
    static long highest(FileSystem fs, Path indexRoot) throws IOException {
        long max = 0;
        FileStatus[] children;
        try {
            children = fs.listStatus(indexRoot);
        } catch (FileNotFoundException e) {
            return 0;
        }
        if (children == null) {
            return 0;
        }
        for (FileStatus s : children) {
            OptionalLong n = IndexLayout.parseGenerationDir(s.getPath().getName());
            if (n.isPresent()) {
                max = Math.max(max, n.getAsLong());
            }
        }
        return max;
    }

    /** The {@code _LATEST} pointer of an index, if there is one. */
    public static Optional<LatestPointer> readLatest(Path indexRoot) throws IOException {
        Path p = new Path(indexRoot, IndexLayout.LATEST);
        FileSystem fs = p.getFileSystem();
        if (!fs.exists(p)) {
            return Optional.empty();
        }
        return Optional.of(ManifestCodec.decodeLatest(readAll(fs, p)));
    }

    /**
     * Whether a file system is an object store (S3): no atomic rename, and an upload appears only when complete, so
     * files are written under their final names. Flink deprecates the kind without a replacement; this is its one
     * use.
     */
    @SuppressWarnings("deprecation")
    public static boolean isObjectStore(FileSystem fs) {
        return fs.getKind() == FileSystemKind.OBJECT_STORE;
    }

    /**
     * Writes a small file so that a reader sees the old content or the new, never a mix: on a file system
     * through a hidden temporary file and an atomic rename, on an object store with one PUT.
     */
    public static void writeAtomically(Path target, byte[] content) throws IOException {
        FileSystem fs = target.getFileSystem();
        if (isObjectStore(fs)) {
            try (FSDataOutputStream out = fs.create(target, FileSystem.WriteMode.OVERWRITE)) {
                out.write(content);
            }
            return;
        }
        Path tmp = new Path(target.getParent(), "." + target.getName() + "." + UUID.randomUUID() + ".tmp");
        try (FSDataOutputStream out = fs.create(tmp, FileSystem.WriteMode.NO_OVERWRITE)) {
            out.write(content);
            out.sync();
        }
        if (!fs.rename(tmp, target)) {
            fs.delete(tmp, false);
            throw new IOException("could not rename " + tmp + " to " + target);
        }
    }

    /**
     * Points {@code _LATEST} at a just-committed generation, unless it already points at a newer one (then it is
     * left, with a warning: a later generation wins). The pointer is read, compared and replaced only if unchanged
     * since the read ({@link CommitWrites#replace}: atomic on a local file system and on S3), so of two commits at
     * once the newer generation always wins.
     *
     * @param storeSettings the {@code s3.*} settings of the cluster ({@link CommitWrites#storeSettings})
     * @return whether the pointer moved
     */
    public static boolean moveLatest(
            Path indexRoot, long generation, String committedAt, Map<String, String> storeSettings) throws IOException {
        CommitWrites writes = CommitWrites.forRoot(indexRoot, storeSettings);
        Path pointer = new Path(indexRoot, IndexLayout.LATEST);
        byte[] content = ManifestCodec.encode(LatestPointer.to(generation, committedAt));
        for (int tries = 0; tries < 100; tries++) {
            Optional<CommitWrites.Versioned> seen = writes.read(pointer);
            if (seen.isPresent()) {
                long current = ManifestCodec.decodeLatest(seen.get().content()).generation();
                if (current >= generation) {
                    LOG.warn(
                            "{} points to generation {}, newer than {}: left as it is",
                            IndexLayout.LATEST,
                            current,
                            generation);
                    return false;
                }
            }
            if (writes.replace(pointer, content, seen)) {
                return true;
            }
            // Another commit moved it between the read and the write: look again.
        }
        throw new IOException("could not move " + pointer + " after 100 attempts: it keeps changing");
    }

    /** The manifest of generation {@code n} under an index root. */
    public static Path manifestPath(Path indexRoot, long generation) {
        return new Path(new Path(indexRoot, IndexLayout.generationDir(generation)), IndexLayout.MANIFEST);
    }

    /** A file a manifest lists, under the index root (its path is relative to the generation's folder or the root). */
    public static Path listedPath(Path indexRoot, Manifest manifest, ManifestFile file) {
        return new Path(indexRoot, IndexLayout.rootRelative(manifest.generation(), file.path()));
    }

    /** Reads and validates a manifest. */
    public static Manifest readManifest(Path manifest) throws IOException {
        return ManifestCodec.decodeManifest(readAll(manifest.getFileSystem(), manifest));
    }

    /**
     * Deletes the data and in-progress files in the table folders under {@code dir} ({@code shard=<k>/},
     * {@code duplicates/}, {@code failures/}) that {@code unwanted} names by their path relative to {@code dir}.
     */
    static void removeDataFiles(Path dir, Predicate<String> unwanted, String why) throws IOException {
        FileSystem fs = dir.getFileSystem();
        for (FileStatus sub : list(fs, dir)) {
            if (!sub.isDir()) {
                continue;
            }
            for (FileStatus file : list(fs, sub.getPath())) {
                String name = file.getPath().getName();
                boolean ours = name.endsWith(".inprogress") || IndexLayout.isDataFile(name);
                if (ours && unwanted.test(sub.getPath().getName() + "/" + name)) {
                    LOG.info("Removing {}: {}", file.getPath(), why);
                    fs.delete(file.getPath(), false);
                }
            }
        }
    }

    /**
     * Deletes the segment folders of run {@code runId} (their names start with it) that {@code unwanted} accepts:
     * what failed attempts of the run wrote. Segments of other runs are never touched.
     */
    static void removeRunSegments(Path indexRoot, String runId, Predicate<String> unwanted, String why)
            throws IOException {
        Path segments = new Path(indexRoot, IndexLayout.SEGMENTS);
        FileSystem fs = segments.getFileSystem();
        for (FileStatus shard : list(fs, segments)) {
            if (!shard.isDir()) {
                continue;
            }
            for (FileStatus segment : list(fs, shard.getPath())) {
                String id = segment.getPath().getName();
                if (segment.isDir() && id.startsWith(runId + "-") && unwanted.test(id)) {
                    LOG.info("Removing segment {}: {}", segment.getPath(), why);
                    fs.delete(segment.getPath(), true);
                }
            }
        }
    }

    private static FileStatus[] list(FileSystem fs, Path dir) throws IOException {
        FileStatus[] s = fs.exists(dir) ? fs.listStatus(dir) : null;
        return s == null ? new FileStatus[0] : s;
    }

    /**
     * What {@link #retain} kept and deleted.
     *
     * @param kept the complete generations kept, newest first
     * @param deletedGenerations the generations deleted
     * @param deletedFiles the files deleted (data, segments, manifests)
     */
    public record Retained(List<Long> kept, List<Long> deletedGenerations, long deletedFiles) {}

    /**
     * Deletes complete generations older than the newest {@code keep} (never the one {@code _LATEST} names), and
     * every file they list that no kept generation lists. Each one's manifest goes first, so a reader sees it
     * complete or not at all. Untouched: generations without a manifest (a run still writing, or one that failed:
     * its committer cleans its own leftovers), and every file no manifest lists, so a commit in progress never loses
     * a file. A server still serving a deleted generation keeps answering from its mapped copy.
     */
    public static Retained retain(Path indexRoot, int keep) throws IOException {
        if (keep < 1) {
            throw new IllegalArgumentException("keep at least one generation, asked for " + keep);
        }
        FileSystem fs = indexRoot.getFileSystem();
        List<Long> complete = new ArrayList<>();
        for (FileStatus s : list(fs, indexRoot)) {
            OptionalLong n = IndexLayout.parseGenerationDir(s.getPath().getName());
            if (s.isDir() && n.isPresent() && fs.exists(manifestPath(indexRoot, n.getAsLong()))) {
                complete.add(n.getAsLong());
            }
        }
        complete.sort(Comparator.reverseOrder());
        Optional<LatestPointer> latest = readLatest(indexRoot);
        List<Long> kept = new ArrayList<>(complete.subList(0, Math.min(keep, complete.size())));
        latest.map(LatestPointer::generation)
                .filter(g -> complete.contains(g) && !kept.contains(g))
                .ifPresent(kept::add);
        Set<String> listed = new HashSet<>();
        for (long g : kept) {
            for (ManifestFile f : readManifest(manifestPath(indexRoot, g)).files()) {
                listed.add(IndexLayout.rootRelative(g, f.path()));
            }
        }
        List<Long> deleted = new ArrayList<>();
        long files = 0;
        for (long g : complete) {
            if (kept.contains(g)) {
                continue;
            }
            Manifest m = readManifest(manifestPath(indexRoot, g));
            fs.delete(manifestPath(indexRoot, g), false);
            files++;
            for (ManifestFile f : m.files()) {
                String rel = IndexLayout.rootRelative(g, f.path());
                if (!listed.contains(rel) && fs.delete(new Path(indexRoot, rel), false)) {
                    files++;
                }
            }
            deleted.add(g);
            LOG.info("Retention: deleted generation {} under {}", g, indexRoot);
        }
        removeEmptyFolders(fs, new Path(indexRoot, IndexLayout.SEGMENTS));
        for (long g : deleted) {
            Path dir = new Path(indexRoot, IndexLayout.generationDir(g));
            removeEmptyFolders(fs, dir);
            Path started = new Path(dir, STARTED_MARKER);
            if (fs.exists(started) && list(fs, dir).length == 1) {
                fs.delete(dir, true); // nothing left but the marker
            }
        }
        return new Retained(List.copyOf(kept), List.copyOf(deleted), files);
    }

    /** Removes the empty folders under {@code dir} (not {@code dir} itself unless it ends up empty too). */
    private static boolean removeEmptyFolders(FileSystem fs, Path dir) throws IOException {
        if (!fs.exists(dir)) {
            return true;
        }
        boolean empty = true;
        for (FileStatus s : list(fs, dir)) {
            if (s.isDir()) {
                empty &= removeEmptyFolders(fs, s.getPath());
            } else {
                empty = false;
            }
        }
        if (empty) {
            fs.delete(dir, false);
        }
        return empty;
    }

    /** Reads a whole (small) file. */
    public static byte[] readAll(FileSystem fs, Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }
}
