package io.imgindex.imaging.embed;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.decode.ImageDecoder;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * An image file to its embedding with one model, the one way the job and the server both do it: validated and
 * decoded with the options the model's card asks for ({@link ModelCard#decodeOptions}), then batched into the
 * model. What the model takes is the decoded pixels, or the file itself for a model that decodes its input
 * ({@link DecodeOptions#keepEncoded}): that rule is here and nowhere else.
 *
 * <p>The server runs both halves for a query image ({@link #of}). The job runs them in two operators, decoding where
 * the image was fetched and embedding in the model's operator, so each holds one half ({@link #decodeOnly}, {@link
 * #embedOnly}) and the item carries {@link Decoded#modelInput} between them. Thread-safe.
 */
public final class ImageEmbedder {

    /**
     * A file, validated and decoded.
     *
     * @param modelInput what the model takes (its pixels, or the file); null when the image failed to decode
     */
    public record Decoded(DecodedImage image, byte[] modelInput) {

        public boolean isOk() {
            return image.isOk();
        }
    }

    private final ImageDecoder decoder;
    private final boolean keepEncoded;
    private final EmbeddingBatcher batcher;

    private ImageEmbedder(DecodeOptions options, EmbeddingBatcher batcher) {
        this.decoder = options == null ? null : new ImageDecoder(options);
        this.keepEncoded = options != null && options.keepEncoded();
        this.batcher = batcher;
    }

    /** Both halves for a model: decoded as its card asks, within {@code limits}, embedded with {@code batcher}. */
    public static ImageEmbedder of(ModelCard card, DecodeOptions.Limits limits, EmbeddingBatcher batcher) {
        return new ImageEmbedder(card.decodeOptions(limits), Objects.requireNonNull(batcher, "batcher"));
    }

    /** The decode half alone, with the options of the model's card ({@link ModelCard#decodeOptions}). */
    public static ImageEmbedder decodeOnly(DecodeOptions options) {
        return new ImageEmbedder(Objects.requireNonNull(options, "options"), null);
    }

    /** The embed half alone, for what {@link #decodeOnly}'s {@link #decode} made elsewhere. */
    public static ImageEmbedder embedOnly(EmbeddingBatcher batcher) {
        return new ImageEmbedder(null, Objects.requireNonNull(batcher, "batcher"));
    }

    /** Validates and decodes a file (null or empty fails as an unreadable image). */
    public Decoded decode(byte[] file) {
        if (decoder == null) {
            throw new IllegalStateException("this embedder only embeds (embedOnly)");
        }
        DecodedImage image = decoder.decode(file);
        return new Decoded(image, !image.isOk() ? null : keepEncoded ? file : image.pixels());
    }

    /** The embedding of a decoded image. */
    public CompletableFuture<float[]> embed(Decoded decoded) {
        if (!decoded.isOk()) {
            throw new IllegalArgumentException("not decoded: " + decoded.image().reason() + ": "
                    + decoded.image().message());
        }
        return embed(decoded.modelInput());
    }

    /** The embedding of a {@link Decoded#modelInput}, carried from where it was decoded. */
    public CompletableFuture<float[]> embed(byte[] modelInput) {
        if (batcher == null) {
            throw new IllegalStateException("this embedder only decodes (decodeOnly)");
        }
        return batcher.submit(modelInput);
    }
}
