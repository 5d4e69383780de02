package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.testing.TestImages;
import java.awt.Color;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageEmbedderTest {

    @TempDir
    Path dir;

    @Test
    void decodesAsTheCardAsksThenEmbedsWhatTheModelTakes() throws Exception {
        ModelCard card = EmbeddingBatcherTest.fragileModel(dir);
        byte[] png = TestImages.encoded("png", 40, 30, new Color(90, 120, 150));
        try (EmbeddingBatcher batcher =
                new EmbeddingBatcher(EmbeddingModel.load(dir, card, 1, 1), 4, Duration.ofMillis(10))) {
            ImageEmbedder embedder = ImageEmbedder.of(card, DecodeOptions.Limits.defaults(), batcher);

            ImageEmbedder.Decoded decoded = embedder.decode(png);

            assertThat(decoded.isOk()).isTrue();
            assertThat(decoded.image().width()).isEqualTo(40);
            assertThat(decoded.modelInput()).hasSize(2 * 2 * 3); // the card's 2 x 2 input, RGB
            float[] direct = batcher.submit(decoded.modelInput()).get();
            assertThat(embedder.embed(decoded).get()).containsExactly(direct, within(1e-5f));
        }
    }

    @Test
    void theTwoHalvesOfTheJobMeetThroughTheModelInput() throws Exception {
        ModelCard card = EmbeddingBatcherTest.fragileModel(dir);
        byte[] png = TestImages.encoded("png", 8, 8, Color.LIGHT_GRAY);
        try (EmbeddingBatcher batcher =
                new EmbeddingBatcher(EmbeddingModel.load(dir, card, 1, 1), 4, Duration.ofMillis(10))) {
            ImageEmbedder decodeHalf = ImageEmbedder.decodeOnly(card.decodeOptions(DecodeOptions.Limits.defaults()));
            ImageEmbedder embedHalf = ImageEmbedder.embedOnly(batcher);
            ImageEmbedder both = ImageEmbedder.of(card, DecodeOptions.Limits.defaults(), batcher);

            float[] split = embedHalf.embed(decodeHalf.decode(png).modelInput()).get();

            assertThat(split).containsExactly(both.embed(both.decode(png)).get(), within(1e-5f));
            assertThatThrownBy(() -> decodeHalf.embed(new byte[12])).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> embedHalf.decode(png)).isInstanceOf(IllegalStateException.class);
        }
    }

    @Test
    void aModelThatDecodesItselfIsGivenTheFileOnceValidated() {
        ImageEmbedder embedder = ImageEmbedder.decodeOnly(DecodeOptions.encoded(DecodeOptions.Limits.defaults()));
        byte[] jpeg = TestImages.encoded("jpg", 20, 20, Color.ORANGE);

        ImageEmbedder.Decoded decoded = embedder.decode(jpeg);

        assertThat(decoded.isOk()).isTrue();
        assertThat(decoded.modelInput()).isSameAs(jpeg);
    }

    @Test
    void anImageThatDoesNotDecodeHasNoModelInputAndIsNotEmbedded() {
        ModelCard card = ThumbnailModel.card();
        ImageEmbedder embedder = ImageEmbedder.decodeOnly(card.decodeOptions(DecodeOptions.Limits.defaults()));

        ImageEmbedder.Decoded decoded =
                embedder.decode(TestImages.truncated(TestImages.encoded("png", 50, 50, Color.RED), 0.3));

        assertThat(decoded.isOk()).isFalse();
        assertThat(decoded.image().reason()).isNotBlank();
        assertThat(decoded.modelInput()).isNull();
        assertThatThrownBy(() -> embedder.embed(decoded))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(decoded.image().reason());
    }
}
