package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {

    @TempDir
    Path cache;

    private void imported(String id) throws IOException {
        Path dir = cache.resolve(id);
        java.nio.file.Files.createDirectories(dir);
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
}
