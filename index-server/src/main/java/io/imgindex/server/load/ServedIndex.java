package io.imgindex.server.load;

import io.imgindex.format.LatestPointer;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The generation a server answers from, and how it changes: the latest complete generation is watched
 * ({@code _LATEST}, polled), loaded in the background and swapped in atomically; in-flight queries finish on the
 * instance they started with. An operator can switch to a named generation (a rollback), which pins it until
 * switched back to {@code latest}. A generation that fails to load is logged and left; the current one stays.
 *
 * <p>Thread-safe.
 */
public final class ServedIndex implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServedIndex.class);

    /** The last generation that failed to load, why, and when. */
    public record Refusal(long generation, String reason, Instant at) {}

    /** What happened, for metrics. */
    public interface Listener {
        void loaded(LoadedIndex index, Duration took);

        void failed(long generation, Exception error);
    }

    private final IndexLoader loader;
    private final Duration watchInterval;
    private final Listener listener;
    private final int keep;
    /** The generations loaded most recently, the current one first: switching to one of them costs no load. */
    private final LinkedList<LoadedIndex> recent = new LinkedList<>();

    private final AtomicReference<LoadedIndex> current = new AtomicReference<>();
    private final ScheduledExecutorService watcher;
    private final Object switching = new Object();
    private volatile boolean pinned;
    private volatile long warnedBackwards = -1;
    private volatile Refusal lastRefusal;
    private final AtomicLong watchRounds = new AtomicLong();

    public ServedIndex(IndexLoader loader, Duration watchInterval, Listener listener) {
        this(loader, watchInterval, listener, 2);
    }

    /**
     * @param keep how many generations stay loaded (the current one and the ones before it), so that switching
     *     back to one (a rollback) takes no load; they share their segments, so a stream's generations cost little
     */
    public ServedIndex(IndexLoader loader, Duration watchInterval, Listener listener, int keep) {
        this.loader = loader;
        this.watchInterval = watchInterval;
        this.listener = listener;
        this.keep = Math.max(1, keep);
        this.watcher = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imgindex-generation-watcher");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts watching: the first generation loads in the background; until then the server is not ready. */
    public ServedIndex start() {
        watcher.scheduleWithFixedDelay(this::followLatest, 0, watchInterval.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** The generation queries run on now, if one is loaded. */
    public Optional<LoadedIndex> current() {
        return Optional.ofNullable(current.get());
    }

    public boolean pinned() {
        return pinned;
    }

    /** How many times the watcher has looked at {@code _LATEST} (or skipped it, pinned) so far. */
    public long watchRounds() {
        return watchRounds.get();
    }

    /** The last generation that failed to load, while no later one has loaded. */
    public Optional<Refusal> lastRefusal() {
        return Optional.ofNullable(lastRefusal);
    }

    /** Why queries cannot be answered yet: nothing loaded, and the last refusal if there was one. */
    public String notReadyReason() {
        Refusal r = lastRefusal;
        return r == null
                ? "no generation loaded yet"
                : "no generation loaded yet: generation " + r.generation() + " was refused: " + r.reason();
    }

    /**
     * Switches to a generation and pins it (a rollback), or with an empty argument back to the latest, unpinned.
     * Blocks while the generation loads; the current one keeps serving meanwhile and stays if loading fails.
     *
     * @throws IOException if the generation cannot be loaded (nothing changes)
     */
    public LoadedIndex switchTo(OptionalLong generation) throws IOException {
        synchronized (switching) {
            long target;
            if (generation.isPresent()) {
                target = generation.getAsLong();
            } else {
                target = loader.reader()
                        .latest()
                        .map(LatestPointer::generation)
                        .orElseThrow(() -> new IOException("no committed generation (no _LATEST)"));
            }
            LoadedIndex now = current.get();
            LoadedIndex next = now != null && now.generation() == target ? now : load(target);
            pinned = generation.isPresent();
            LOG.info("Serving generation {} ({})", target, pinned ? "pinned by an operator" : "following the latest");
            return next;
        }
    }

    private void followLatest() {
        try {
            follow();
        } finally {
            watchRounds.incrementAndGet();
        }
    }

    private void follow() {
        if (pinned) {
            return;
        }
        try {
            Optional<LatestPointer> latest = loader.reader().latest();
            if (latest.isEmpty()) {
                return;
            }
            long target = latest.get().generation();
            LoadedIndex now = current.get();
            if (now != null && now.generation() == target) {
                return;
            }
            if (now != null && target < now.generation()) {
                // _LATEST moved back: someone pointed it there by hand, or a damaged store. A server does not go
                // back on its own; an operator switches it (admin endpoint).
                if (warnedBackwards != target) {
                    LOG.warn(
                            "_LATEST points to generation {}, older than generation {} being served: staying; switch"
                                    + " with POST /admin/generation to go back",
                            target,
                            now.generation());
                    warnedBackwards = target;
                }
                return;
            }
            Refusal refused = lastRefusal;
            if (refused != null
                    && refused.generation() == target
                    && Duration.between(refused.at(), Instant.now()).compareTo(retryAfter()) < 0) {
                return;
            }
            synchronized (switching) {
                if (!pinned) {
                    try {
                        load(target);
                    } catch (IOException | RuntimeException e) {
                        // load() logged and counted it; the current generation stays. With nothing to serve yet,
                        // the newest older generation that loads serves meanwhile.
                        if (current.get() == null) {
                            fallBackBelow(target);
                        }
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // Reaching the store failed; the next round tries again.
            LOG.warn("Could not check the latest generation: {}", e.toString());
        }
    }

    /**
     * Serves the newest complete generation below {@code damaged} that loads, when the one {@code _LATEST} names
     * does not (a damaged file, a model this server lacks): better an older answer than none. {@code _LATEST} is
     * not touched, and the watcher keeps retrying the latest.
     */
    private void fallBackBelow(long damaged) {
        List<Long> older;
        try {
            older = loader.reader().generations();
        } catch (IOException e) {
            LOG.warn("Could not list generations to fall back to: {}", e.toString());
            return;
        }
        Refusal refused = lastRefusal;
        for (int i = older.size() - 1; i >= 0; i--) {
            long g = older.get(i);
            if (g >= damaged) {
                continue;
            }
            try {
                if (!loader.reader().isComplete(g)) {
                    continue;
                }
                load(g);
                lastRefusal = refused; // still say why the latest is not served
                LOG.warn("Serving generation {}, the newest that loads: the latest, {}, was refused", g, damaged);
                return;
            } catch (IOException | RuntimeException e) {
                // Logged by load(); try the next older one.
            }
        }
    }

    private Duration retryAfter() {
        return watchInterval.multipliedBy(6).compareTo(Duration.ofMinutes(1)) > 0
                ? watchInterval.multipliedBy(6)
                : Duration.ofMinutes(1);
    }

    private LoadedIndex load(long generation) throws IOException {
        long start = System.nanoTime();
        try {
            LoadedIndex next = null;
            synchronized (recent) {
                for (LoadedIndex r : recent) {
                    if (r.generation() == generation) {
                        next = r;
                    }
                }
            }
            if (next == null) {
                next = loader.load(generation);
            }
            if (lastRefusal != null && lastRefusal.generation() <= generation) {
                lastRefusal = null; // before the swap: who sees the new generation never sees an older refusal
            }
            LoadedIndex previous = current.getAndSet(next);
            synchronized (recent) {
                recent.remove(next);
                recent.addFirst(next);
                while (recent.size() > keep) {
                    recent.removeLast();
                }
                loader.retain(List.copyOf(recent));
            }
            listener.loaded(next, Duration.ofNanos(System.nanoTime() - start));
            if (previous != null) {
                LOG.info("Swapped generation {} for {}", previous.generation(), generation);
            }
            return next;
        } catch (IOException | RuntimeException e) {
            lastRefusal = new Refusal(generation, String.valueOf(e.getMessage()), Instant.now());
            listener.failed(generation, e);
            LOG.error(
                    "Refused generation {}: {}; still serving {}",
                    generation,
                    e.getMessage(),
                    current().map(c -> "generation " + c.generation()).orElse("nothing"));
            throw e;
        }
    }

    /** Runs something with the current generation's statistics. */
    public void ifLoaded(Consumer<LoadedIndex> action) {
        LoadedIndex now = current.get();
        if (now != null) {
            action.accept(now);
        }
    }

    @Override
    public void close() {
        watcher.shutdownNow();
    }
}
