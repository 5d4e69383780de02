package io.imgindex.server.load;

import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a server's segment files live on local disk, verified, so that they can be memory-mapped.
 *
 * <ul>
 *   <li>An index on a local folder is mapped where it is. Its files are checked (size and SHA-256, streamed) the
 *       first time; a stamp under {@code verified/} remembers the check while the file keeps its size and
 *       modification time, so a restart does not read every byte again.
 *   <li>An index on S3 is downloaded into {@code blobs/<sha256>}, streamed to disk and hashed on the way (never held
 *       in the heap), and moved into place only when size and hash match: a file in {@code blobs/} is verified
 *       by its name. Files are shared by every generation that lists them, so a new generation downloads only what
 *       is new.
 * </ul>
 *
 * The blobs are bounded by {@code maxBytes}: before a download, the least recently used blobs that no loaded
 * generation needs are deleted. A mapped file that is deleted stays readable by the mappings that hold it.
 *
 * <p>Thread-safe.
 */
public final class SegmentCache {

    private static final Logger LOG = LoggerFactory.getLogger(SegmentCache.class);

    private final Path dir;
    private final Path blobs;
    private final Path verified;
    private final Path tmp;
    private final long maxBytes;
    private final AtomicLong bytesRead = new AtomicLong();
    private final Set<String> pinned = new HashSet<>();

    /**
     * @param dir the cache folder (created if missing)
     * @param maxBytes the most bytes of downloaded files kept
     */
    public SegmentCache(Path dir, long maxBytes) throws IOException {
        this.dir = dir.toAbsolutePath();
        this.blobs = this.dir.resolve("blobs");
        this.verified = this.dir.resolve("verified");
        // Servers may share a cache folder (shard servers on one host): each writes in a folder of its own, and
        // removes only what is old enough to be a dead process's unfinished download.
        Path allTmp = this.dir.resolve("tmp");
        this.tmp = allTmp.resolve(UUID.randomUUID().toString());
        this.maxBytes = maxBytes;
        Files.createDirectories(blobs);
        Files.createDirectories(verified);
        Files.createDirectories(tmp);
        removeStale(allTmp, System.currentTimeMillis() - STALE_TMP.toMillis());
    }

    /** How old an unfinished download must be before a starting server removes it. */
    static final Duration STALE_TMP = Duration.ofDays(1);

    private static void removeStale(Path allTmp, long before) throws IOException {
        try (var leftovers = Files.list(allTmp)) {
            for (Path p : leftovers.toList()) {
                try {
                    if (Files.getLastModifiedTime(p).toMillis() >= before) {
                        continue;
                    }
                    if (Files.isDirectory(p)) {
                        try (var inside = Files.list(p)) {
                            for (Path f : inside.toList()) {
                                Files.deleteIfExists(f);
                            }
                        }
                    }
                    Files.deleteIfExists(p); // a download a process that ended long ago did not finish
                } catch (IOException e) {
                    // Another server removed it first, or is using it: leave it.
                }
            }
        }
    }

    public Path dir() {
        return dir;
    }

    /** Bytes read from the store (or hashed in place) by this cache since it was made. */
    public long bytesRead() {
        return bytesRead.get();
    }

    /** The blobs the generations being served need: never evicted. */
    public synchronized void pin(Set<String> sha256s) {
        pinned.clear();
        pinned.addAll(sha256s);
    }

    /**
     * A local, verified copy of a listed file.
     *
     * @throws IndexFormatException if the file does not match its manifest entry
     */
    public Path local(GenerationReader reader, Manifest manifest, ManifestFile file) throws IOException {
        Optional<Path> inPlace = reader.localFile(manifest, file);
        if (inPlace.isPresent()) {
            verifyInPlace(inPlace.get(), file);
            return inPlace.get();
        }
        Path blob = blobs.resolve(file.sha256());
        if (Files.isRegularFile(blob) && Files.size(blob) == file.bytes()) {
            touch(blob);
            return blob;
        }
        return download(reader, manifest, file, blob);
    }

    private void verifyInPlace(Path p, ManifestFile file) throws IOException {
        if (!Files.isRegularFile(p)) {
            throw new IndexFormatException("listed file is missing: " + p);
        }
        long size = Files.size(p);
        if (size != file.bytes()) {
            throw new IndexFormatException(p + " has " + size + " bytes, manifest says " + file.bytes());
        }
        Path stamp = verified.resolve(file.sha256());
        String expected = p.toAbsolutePath() + "\n" + size + "\n"
                + Files.getLastModifiedTime(p).toMillis() + "\n";
        if (Files.isRegularFile(stamp)
                && Files.readString(stamp, StandardCharsets.UTF_8).equals(expected)) {
            return;
        }
        MessageDigest sha = Sha256.newDigest();
        try (InputStream in = new DigestInputStream(Files.newInputStream(p), sha)) {
            bytesRead.addAndGet(in.transferTo(OutputStream.nullOutputStream()));
        }
        String actual = Sha256.hex(sha);
        if (!actual.equals(file.sha256())) {
            throw new IndexFormatException(p + " has SHA-256 " + actual + ", manifest says " + file.sha256());
        }
        Path t = tmp.resolve(UUID.randomUUID() + ".stamp");
        Files.writeString(t, expected, StandardCharsets.UTF_8);
        move(t, stamp);
    }

    private Path download(GenerationReader reader, Manifest manifest, ManifestFile file, Path blob) throws IOException {
        makeRoom(file.bytes());
        Path t = tmp.resolve(UUID.randomUUID() + ".part");
        MessageDigest sha = Sha256.newDigest();
        long copied;
        try (InputStream in = new DigestInputStream(reader.open(manifest, file), sha);
                OutputStream out = Files.newOutputStream(t)) {
            copied = copyAtMost(in, out, file.bytes() + 1);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(t);
            throw e;
        }
        bytesRead.addAndGet(copied);
        String actual = Sha256.hex(sha);
        if (copied != file.bytes() || !actual.equals(file.sha256())) {
            Files.deleteIfExists(t);
            throw new IndexFormatException(reader.dataPath(manifest.generation(), file) + " has "
                    + (copied > file.bytes() ? "more than " : "") + copied + " bytes and SHA-256 " + actual
                    + "; manifest says " + file.bytes() + " bytes, " + file.sha256());
        }
        move(t, blob);
        return blob;
    }

    /** Copies up to {@code limit} bytes: a file longer than listed is not downloaded without end. */
    private static long copyAtMost(InputStream in, OutputStream out, long limit) throws IOException {
        byte[] buf = new byte[1 << 16];
        long total = 0;
        for (int n; total < limit && (n = in.read(buf, 0, (int) Math.min(buf.length, limit - total))) > 0; ) {
            out.write(buf, 0, n);
            total += n;
        }
        return total;
    }

    private synchronized void makeRoom(long needed) throws IOException {
        if (needed > maxBytes) {
            throw new IOException("a file of " + needed + " bytes is larger than the whole cache (--cache-size "
                    + maxBytes + " bytes)");
        }
        List<Path> files = new ArrayList<>();
        long total = 0;
        try (var all = Files.list(blobs)) {
            for (Path p : all.toList()) {
                files.add(p);
                total += Files.size(p);
            }
        }
        if (total + needed <= maxBytes) {
            return;
        }
        files.sort(Comparator.comparing(SegmentCache::lastUsed));
        for (Path p : files) {
            if (total + needed <= maxBytes) {
                break;
            }
            if (pinned.contains(p.getFileName().toString())) {
                continue;
            }
            long size = Files.size(p);
            Files.deleteIfExists(p);
            total -= size;
            LOG.info("Evicted {} ({} bytes) from the segment cache", p.getFileName(), size);
        }
        if (total + needed > maxBytes) {
            throw new IOException("the segment cache " + blobs + " holds " + total + " bytes that loaded generations"
                    + " need; " + needed + " more do not fit in --cache-size " + maxBytes);
        }
    }

    private static FileTime lastUsed(Path p) {
        try {
            return Files.getLastModifiedTime(p);
        } catch (IOException e) {
            return FileTime.fromMillis(0);
        }
    }

    private static void touch(Path p) {
        try {
            Files.setLastModifiedTime(p, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // Only the eviction order suffers.
        }
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }
}
