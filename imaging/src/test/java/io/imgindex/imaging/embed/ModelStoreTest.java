package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    @TempDir
    Path cache;

    private void imported(String id) throws IOException {
        Path dir = cache.resolve(id);
        Files.createDirectories(dir);
        new ModelCard(
                        id,
                        64,
                        "cosine",
                        "pixels",
                        ModelCard.Input.pixels("pixels", 8, 8, "squash", 1, 0),
                        "embedding",
                        "a model imported earlier",
                        "MIT",
                        null)
                .write(dir);
    }

    @Test
    void anImportedModelIsFoundByItsIdInTheCache() throws IOException {
        imported("my-model");

        ModelStore.Model model = new ModelStore(cache).resolve("my-model");

        assertThat(model.dir()).isEqualTo(cache.resolve("my-model").toAbsolutePath());
        assertThat(model.card().id()).isEqualTo("my-model");
        assertThat(model.card().dimension()).isEqualTo(64);
    }

    @Test
    void anUnknownIdNamesTheKnownOnes() {
        assertThatThrownBy(() -> new ModelStore(cache).resolve("no-such-model"))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("no-such-model")
                .hasMessageContaining("mobilenet-v2-140");
    }

    @Test
    void aPathLikeIdDoesNotReachOutOfTheCache() throws IOException {
        imported("inner");
        Path nested = cache.resolve("sub");
        assertThatThrownBy(() -> new ModelStore(nested).resolve("../inner")).isInstanceOf(IOException.class);
    }

    /**
     * Several threads of one JVM importing one model at once (the task slots of a task manager, or shard servers in
     * one test JVM): one imports it, the others wait and find it. A file lock is held per JVM, so a second lock of
     * the same file from this JVM threw (OverlappingFileLockException) before the threads took turns.
     */
    @Test
    void threadsOfOneProcessImportAModelOnce() throws Exception {
        int threads = 4;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<ModelStore.Model>> models = new ArrayList<>();
            for (int i = 0; i < threads; i++) {
                ModelStore store = new ModelStore(cache); // a store each, as separate servers or tasks have
                models.add(pool.submit(() -> {
                    start.await();
                    return store.resolve(ModelCatalog.BUILT_IN);
                }));
            }
            start.countDown();
            for (Future<ModelStore.Model> m : models) {
                assertThat(m.get().dir()).isEqualTo(cache.resolve(ModelCatalog.BUILT_IN));
            }
        } finally {
            pool.shutdownNow();
        }
    }
}
