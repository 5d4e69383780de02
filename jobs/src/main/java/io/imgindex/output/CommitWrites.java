package io.imgindex.output;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Supplier;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.fs.FSDataOutputStream;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.fs.Path;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.operators.StreamingRuntimeContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;

/**
 * The two writes of a commit that must not race with another run's: creating a file only if it does not exist (a
 * generation's reservation marker), and replacing a file only if it has not changed since it was read (the {@code
 * _LATEST} pointer). Of two runs that try either at once, exactly one succeeds and the other learns it.
 *
 * <ul>
 *   <li>A local file system: {@code O_CREAT | O_EXCL} for the first, an exclusive lock on a file beside the target
 *       (and a lock per JVM) around compare-and-rename for the second.
 *   <li>S3 ({@code s3://}, {@code s3a://}, {@code s3p://}): conditional PUTs, {@code If-None-Match: *} and {@code
 *       If-Match: <ETag>}, which S3 decides atomically. The client is S3A's, made from the same {@code s3.*} and
 *       {@code fs.s3a.*} settings as Flink's S3 plugin and the readers (endpoint, region, credentials chain), so it
 *       reaches the same bucket the same way. A store that answers 501 (no conditional writes) gets a check, then
 *       a plain PUT, with a warning: as atomic as before, not more.
 *   <li>Any other file system: a check then a write, with a warning. Run one writer per index there.
 * </ul>
 */
public abstract class CommitWrites {

    private static final Logger LOG = LoggerFactory.getLogger(CommitWrites.class);

    /** What {@link #read} found: the content, and a version that {@link #replace} compares with. */
    public record Versioned(byte[] content, String version) {}

    /** The writes for the files under an index root; {@code storeSettings} are the cluster's {@code s3.*} keys. */
    public static CommitWrites forRoot(Path indexRoot, Map<String, String> storeSettings) throws IOException {
        URI uri = indexRoot.toUri();
        java.nio.file.Path local = Generations.localPath(indexRoot);
        if (local != null) {
            return new Local();
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme();
        if (scheme.equals("s3") || scheme.equals("s3a") || scheme.equals("s3p")) {
            return new S3(uri.getHost(), () -> S3Clients.forBucket(uri.getHost(), storeSettings));
        }
        return new Unconditional(indexRoot.getFileSystem());
    }

    /** The object store settings of a Flink configuration: its {@code s3.*}, {@code s3a.*} and {@code fs.s3a.*} keys. */
    public static Map<String, String> storeSettings(Map<String, String> flinkConfiguration) {
        Map<String, String> s = new TreeMap<>();
        flinkConfiguration.forEach((k, v) -> {
            if (k.startsWith("s3.") || k.startsWith("s3a.") || k.startsWith("fs.s3a.")) {
                s.put(k, v);
            }
        });
        return s;
    }

    /** The object store settings of a job's environment: the cluster's, and the command's {@code --conf} pairs. */
    public static Map<String, String> storeSettings(StreamExecutionEnvironment env) {
        return env.getConfiguration() instanceof Configuration c ? storeSettings(c.toMap()) : Map.of();
    }

    /**
     * The settings an operator writes with: those of the job's client ({@code fromClient}, as the job was built) with
     * the task manager's own over them (what Flink's S3 plugin there uses).
     */
    public static Map<String, String> storeSettings(Map<String, String> fromClient, StreamingRuntimeContext operator) {
        Map<String, String> s = new TreeMap<>(fromClient);
        s.putAll(storeSettings(
                operator.getTaskManagerRuntimeInfo().getConfiguration().toMap()));
        return s;
    }

    /**
     * Creates {@code file} with {@code content} unless it exists.
     *
     * @return false if it existed (nothing written)
     */
    public abstract boolean createIfAbsent(Path file, byte[] content) throws IOException;

    /** Reads a small file with its version, or nothing if it does not exist. */
    public abstract Optional<Versioned> read(Path file) throws IOException;

    /**
     * Replaces {@code file} with {@code content} if it is still what {@code seen} read ({@code seen} empty: if it
     * still does not exist). A reader sees the old content or the new, never a mix.
     *
     * @return false if it changed in the meantime (nothing written)
     */
    public abstract boolean replace(Path file, byte[] content, Optional<Versioned> seen) throws IOException;

    /** Whether a file read now is what was read before (both absent, or the same bytes). */
    static boolean sameContent(Optional<Versioned> now, Optional<Versioned> seen) {
        return now.isPresent() == seen.isPresent()
                && (now.isEmpty()
                        || Arrays.equals(now.get().content(), seen.get().content()));
    }

    /** Local files: exclusive creation, and compare-and-rename under a file lock. */
    static final class Local extends CommitWrites {

        /** One lock object per folder, so that threads of one JVM take turns before the file lock. */
        private static final ConcurrentMap<java.nio.file.Path, Object> LOCKS = new ConcurrentHashMap<>();

        @Override
        public boolean createIfAbsent(Path file, byte[] content) throws IOException {
            java.nio.file.Path p = Generations.localPath(file);
            Files.createDirectories(p.getParent());
            try {
                Files.write(Files.createFile(p), content);
                return true;
            } catch (FileAlreadyExistsException taken) {
                return false;
            }
        }

        @Override
        public Optional<Versioned> read(Path file) throws IOException {
            java.nio.file.Path p = Generations.localPath(file);
            try {
                byte[] content = Files.readAllBytes(p);
                return Optional.of(new Versioned(content, null));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
        }

        @Override
        @SuppressWarnings("try") // the file lock is held for the block, never referenced
        public boolean replace(Path file, byte[] content, Optional<Versioned> seen) throws IOException {
            java.nio.file.Path p = Generations.localPath(file);
            java.nio.file.Path dir = p.toAbsolutePath().normalize().getParent();
            Files.createDirectories(dir);
            Object jvmLock = LOCKS.computeIfAbsent(dir, k -> new Object());
            synchronized (jvmLock) {
                try (FileChannel ch = FileChannel.open(
                                dir.resolve("." + p.getFileName() + ".lock"),
                                StandardOpenOption.CREATE,
                                StandardOpenOption.WRITE);
                        FileLock lock = ch.lock()) {
                    Optional<Versioned> now = read(file);
                    if (!sameContent(now, seen)) {
                        return false;
                    }
                    Generations.writeAtomically(file, content);
                    return true;
                }
            }
        }
    }

    /** S3: conditional PUTs, decided by the store. */
    static final class S3 extends CommitWrites {

        private static final int CONFLICT_RETRIES = 5;

        private final String bucket;
        private final Supplier<S3Client> client;
        private volatile boolean unsupported;

        S3(String bucket, Supplier<S3Client> client) {
            this.bucket = bucket;
            this.client = client;
        }

        private static String key(Path file) {
            String k = file.toUri().getPath();
            return k.startsWith("/") ? k.substring(1) : k;
        }

        @Override
        public boolean createIfAbsent(Path file, byte[] content) throws IOException {
            return put(file, content, "If-None-Match", "*");
        }

        @Override
        public Optional<Versioned> read(Path file) throws IOException {
            try {
                ResponseBytes<GetObjectResponse> r =
                        client.get().getObjectAsBytes(b -> b.bucket(bucket).key(key(file)));
                return Optional.of(new Versioned(r.asByteArray(), r.response().eTag()));
            } catch (NoSuchKeyException e) {
                return Optional.empty();
            } catch (AwsServiceException e) {
                if (e.statusCode() == 404) {
                    return Optional.empty();
                }
                throw new IOException("could not read " + file + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IOException("could not read " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public boolean replace(Path file, byte[] content, Optional<Versioned> seen) throws IOException {
            return seen.isEmpty()
                    ? put(file, content, "If-None-Match", "*")
                    : put(file, content, "If-Match", seen.get().version());
        }

        /**
         * One conditional PUT. S3 answers 412 when the condition fails (and 404 for {@code If-Match} on a key that
         * is gone), 409 when another conditional write to the key is in progress (tried again).
         */
        private boolean put(Path file, byte[] content, String header, String value) throws IOException {
            for (int attempt = 1; ; attempt++) {
                PutObjectRequest.Builder request =
                        PutObjectRequest.builder().bucket(bucket).key(key(file)).contentType("application/json");
                if (!unsupported) {
                    request.overrideConfiguration(o -> o.putHeader(header, value));
                } else if (!stillHolds(file, header, value)) {
                    return false; // checked, then written: as atomic as a store without conditions allows
                }
                try {
                    client.get().putObject(request.build(), RequestBody.fromBytes(content));
                    return true;
                } catch (AwsServiceException e) {
                    int status = e.statusCode();
                    if (status == 412 || (status == 404 && header.equals("If-Match"))) {
                        return false;
                    }
                    if (status == 409 && attempt < CONFLICT_RETRIES) {
                        sleep(Duration.ofMillis(100L * attempt));
                        continue;
                    }
                    if (status == 501 && !unsupported) {
                        LOG.warn(
                                "The object store of bucket {} has no conditional writes (501 to {}): commits there"
                                        + " check, then write, so run one writer per index",
                                bucket,
                                header);
                        unsupported = true;
                        continue;
                    }
                    throw new IOException("could not write " + file + ": " + e.getMessage(), e);
                } catch (RuntimeException e) {
                    throw new IOException("could not write " + file + ": " + e.getMessage(), e);
                }
            }
        }

        /** The condition of a PUT, checked by reading first (for a store that does not check it itself). */
        private boolean stillHolds(Path file, String header, String value) throws IOException {
            Optional<Versioned> now = read(file);
            return header.equals("If-None-Match")
                    ? now.isEmpty()
                    : now.isPresent() && value.equals(now.get().version());
        }

        private static void sleep(Duration d) throws IOException {
            try {
                Thread.sleep(d.toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while retrying a conditional write");
            }
        }
    }

    /** Any other file system: a check, then a write; two writers at once may both succeed. */
    static final class Unconditional extends CommitWrites {

        private final FileSystem fs;
        private boolean warned;

        Unconditional(FileSystem fs) {
            this.fs = fs;
        }

        private void warnOnce() {
            if (!warned) {
                warned = true;
                LOG.warn("{} has no atomic create or compare-and-replace: run one writer per index", fs.getUri());
            }
        }

        @Override
        public boolean createIfAbsent(Path file, byte[] content) throws IOException {
            warnOnce();
            if (fs.exists(file)) {
                return false;
            }
            try (FSDataOutputStream out = fs.create(file, FileSystem.WriteMode.NO_OVERWRITE)) {
                out.write(content);
                return true;
            } catch (IOException e) {
                if (fs.exists(file)) {
                    return false;
                }
                throw e;
            }
        }

        @Override
        public Optional<Versioned> read(Path file) throws IOException {
            try (InputStream in = fs.open(file)) {
                return Optional.of(new Versioned(in.readAllBytes(), null));
            } catch (FileNotFoundException e) {
                return Optional.empty();
            }
        }

        @Override
        public boolean replace(Path file, byte[] content, Optional<Versioned> seen) throws IOException {
            warnOnce();
            Optional<Versioned> now = read(file);
            if (!sameContent(now, seen)) {
                return false;
            }
            Generations.writeAtomically(file, content);
            return true;
        }
    }
}
