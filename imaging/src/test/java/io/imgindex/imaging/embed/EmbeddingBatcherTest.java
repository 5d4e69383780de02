package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.types.TFloat32;

class EmbeddingBatcherTest {

    @TempDir
    Path dir;

    /**
     * A model whose output is log(mean pixel value) in both dimensions: finite for any image with some light,
     * NaN-free but -Infinity for an all-black one, which the embedding code must refuse.
     */
    static ModelCard fragileModel(Path dir) throws Exception {
        try (Graph g = new Graph();
                Session s = new Session(g)) {
            Ops tf = Ops.create(g);
            Placeholder<TFloat32> in =
                    tf.withName("pixels").placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, 2, 2, 3)));
            Operand<TFloat32> mean = tf.math.mean(
                    tf.reshape(in, tf.constant(new int[] {-1, 12})),
                    tf.constant(1),
                    org.tensorflow.op.math.Mean.keepDims(true));
            Operand<TFloat32> out = tf.concat(List.of(tf.math.log(mean), tf.math.log(mean)), tf.constant(1));
            SavedModelBundle.exporter(dir.toString())
                    .withFunction(SessionFunction.create(
                            Signature.builder()
                                    .key("serving_default")
                                    .input("pixels", in)
                                    .output("embedding", out)
                                    .build(),
                            s))
                    .export();
        }
        ModelCard card = new ModelCard(
                "fragile",
                2,
                "dot",
                "serving_default",
                ModelCard.Input.pixels("pixels", 2, 2, "squash", 1, 0),
                "embedding",
                "test",
                "none",
                null);
        card.write(dir);
        return card;
    }

    static byte[] grey(int v) {
        byte[] px = new byte[12];
        Arrays.fill(px, (byte) v);
        return px;
    }

    @Test
    void aBadImageFailsAloneAndTheRestOfItsBatchSucceeds() throws Exception {
        ModelCard card = fragileModel(dir);
        try (EmbeddingBatcher batcher =
                new EmbeddingBatcher(EmbeddingModel.load(dir, card, 1, 1), 8, Duration.ofMillis(200))) {
            List<CompletableFuture<float[]>> results = new ArrayList<>();
            for (int v : new int[] {10, 0, 200, 50}) {
                results.add(batcher.submit(grey(v)));
            }

            assertThat(results.get(0).join()).hasSize(2);
            assertThatThrownBy(() -> results.get(1).join())
                    .isInstanceOf(CompletionException.class)
                    .hasMessageContaining("non-finite");
            assertThat(results.get(2).join()[0])
                    .isCloseTo((float) (1 / Math.sqrt(2)), org.assertj.core.data.Offset.offset(1e-5f));
            assertThat(results.get(3).join()).hasSize(2);
        }
    }

    @Test
    void batchesUpToTheBatchSize() throws Exception {
        ModelCard card = fragileModel(dir);
        try (EmbeddingBatcher batcher =
                new EmbeddingBatcher(EmbeddingModel.load(dir, card, 1, 1), 3, Duration.ofSeconds(5))) {
            long start = System.nanoTime();
            List<CompletableFuture<float[]>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                results.add(batcher.submit(grey(100)));
            }
            results.forEach(CompletableFuture::join);
            // A full batch does not wait for the 5 s maximum.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(4));
        }
    }

    @Test
    void failsWhatIsQueuedWhenClosed() throws Exception {
        ModelCard card = fragileModel(dir);
        EmbeddingBatcher batcher = new EmbeddingBatcher(EmbeddingModel.load(dir, card, 1, 1), 4, Duration.ZERO);
        batcher.close();
        assertThatThrownBy(() -> batcher.submit(grey(1)).join()).hasMessageContaining("closed");
    }
}
