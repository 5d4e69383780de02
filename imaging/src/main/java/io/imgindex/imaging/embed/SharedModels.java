package io.imgindex.imaging.embed;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model and batcher per process (per job class loader), shared by all slots of a task manager and
 * released when the last user closes its lease: a model is loaded once, not once per slot, and requests from
 * all slots are batched together.
 */
public final class SharedModels {

    private static final Logger LOG = LoggerFactory.getLogger(SharedModels.class);

    private record Key(EmbedOptions options, Devices devices) {}

    private static final Map<Key, Entry> ENTRIES = new HashMap<>();

    private static final class Entry {
        final EmbeddingBatcher batcher;
        int users;

        Entry(EmbeddingBatcher batcher) {
            this.batcher = batcher;
        }
    }

    /** A use of a shared batcher; close it once, when the user is done. */
    public static final class Lease implements AutoCloseable {
        private final Key key;
        private final EmbeddingBatcher batcher;
        private boolean closed;

        private Lease(Key key, EmbeddingBatcher batcher) {
            this.key = key;
            this.batcher = batcher;
        }

        public EmbeddingBatcher batcher() {
            return batcher;
        }

        @Override
        public void close() {
            if (!closed) {
                closed = true;
                release(key);
            }
        }
    }

    private SharedModels() {}

    /** The shared batcher for these options and devices, loading the model on first use. */
    public static synchronized Lease acquire(EmbedOptions options, Devices devices) {
        Key key = new Key(options, devices);
        Entry e = ENTRIES.get(key);
        if (e == null) {
            long start = System.nanoTime();
            Path dir = options.builtIn() ? builtInModelDir() : Paths.get(options.modelDir());
            EmbeddingModel model = EmbeddingModel.load(
                    dir, options.card(), options.intraOpThreads(), options.interOpThreads(), devices);
            LOG.info(
                    "Loaded model {} ({} dimensions) from {} in {} ms, running on {}",
                    options.card().id(),
                    options.card().dimension(),
                    dir,
                    (System.nanoTime() - start) / 1_000_000,
                    devices);
            e = new Entry(new EmbeddingBatcher(model, options.batchSize(), options.maxWait()));
            ENTRIES.put(key, e);
        }
        e.users++;
        return new Lease(key, e.batcher);
    }

    private static synchronized void release(Key key) {
        Entry e = ENTRIES.get(key);
        if (e != null && --e.users == 0) {
            ENTRIES.remove(key);
            e.batcher.close();
        }
    }

    /**
     * The built-in model, exported once per machine under the temporary folder: the export is deterministic,
     * so a folder left by an earlier process is reused; a new one is written aside and moved into place.
     */
    private static Path builtInModelDir() {
        Path target = Paths.get(System.getProperty("java.io.tmpdir"), "imgindex-models", ThumbnailModel.ID);
        if (Files.isRegularFile(target.resolve(ModelCard.FILE_NAME))) {
            return target;
        }
        try {
            Files.createDirectories(target.getParent());
            Path staging = Files.createTempDirectory(target.getParent(), ThumbnailModel.ID + "-");
            ThumbnailModel.export(staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                // Another process moved its export in first; theirs is identical to ours.
                LOG.debug("Built-in model already exported at {}: {}", target, raced.toString());
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot export the built-in model under " + target.getParent(), e);
        }
    }
}
