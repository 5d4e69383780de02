package io.imgindex.server.search;

import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.embed.EmbeddingBatcher;
import io.imgindex.imaging.embed.EmbeddingModel;
import io.imgindex.imaging.embed.ImageEmbedder;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.fetch.FetchResult;
import io.imgindex.imaging.fetch.ImageFetcher;
import io.imgindex.server.search.QueryImageRefused.Why;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import javax.imageio.ImageIO;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Embeds query images with the model that made the index, in the server: fetched (by URL, under the same
 * address policy as the job) or posted, validated and decoded as the job does, then batched with concurrent
 * queries into the model. One model per id, loaded on first use and kept. Thread-safe.
 */
public final class QueryEmbedder implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(QueryEmbedder.class);

    private record Loaded(ModelCard card, EmbeddingBatcher batcher, ImageEmbedder embedder) {}

    /** Query images embedded together at most: concurrent queries share a model call. */
    private static final int QUERY_BATCH = 16;

    private final ModelStore store;
    private final ImageFetcher fetcher;
    private final DecodeOptions.Limits limits;
    private final Duration maxWait;
    private final Set<String> urlSchemes;
    private final Map<String, Loaded> models = new HashMap<>();

    /**
     * @param urlSchemes the schemes a query URL may have ({@code http}, {@code https}, {@code s3a}, {@code s3})
     * @throws IllegalArgumentException naming a scheme this server cannot fetch
     */
    public QueryEmbedder(
            ModelStore store,
            ImageFetcher fetcher,
            DecodeOptions.Limits limits,
            Duration maxWait,
            Collection<String> urlSchemes) {
        this.store = store;
        this.fetcher = fetcher;
        this.limits = limits;
        this.maxWait = maxWait;
        this.urlSchemes = new TreeSet<>();
        for (String entry : urlSchemes) { // repeated, or comma-separated
            for (String scheme : entry.split(",")) {
                String s = scheme.strip().toLowerCase(Locale.ROOT);
                if (!FETCHABLE.contains(s)) {
                    throw new IllegalArgumentException(
                            "--search.url-schemes takes http, https, s3a and s3, not '" + scheme + "'");
                }
                this.urlSchemes.add(s);
            }
        }
    }

    /** What a query URL may name, at most. */
    private static final Set<String> FETCHABLE = Set.of("http", "https", "s3a", "s3");

    /** Object store schemes: read with the server's credentials, so their failures must not describe the object. */
    private static final Set<String> OBJECT_STORES = Set.of("s3a", "s3");

    /** The card of a model this server has (importing a catalogued one on first use). */
    public ModelCard card(String modelId) throws IOException {
        return store.resolve(modelId).card();
    }

    /** The embedding of posted image bytes. */
    public float[] embed(String modelId, byte[] image) throws Exception {
        Loaded m = load(modelId);
        ImageEmbedder.Decoded decoded = m.embedder().decode(image);
        DecodedImage d = decoded.image();
        if (!d.isOk()) {
            throw new QueryImageRefused(
                    d.reason().equals("TOO_MANY_PIXELS") ? Why.TOO_LARGE : Why.UNUSABLE,
                    d.reason() + ": " + d.message());
        }
        return m.embedder().embed(decoded).get();
    }

    /**
     * The embedding of the image at a URL whose scheme this server allows ({@code --search.url-schemes}). A failure
     * to read or decode an object store URL is one message whatever happened, so that answers never tell whether
     * an object exists, how large it is or what it starts with.
     */
    public float[] embedUrl(String modelId, String url) throws Exception {
        String scheme = scheme(url);
        if (!urlSchemes.contains(scheme)) {
            throw new QueryImageRefused(
                    Why.NOT_ALLOWED,
                    "this server searches " + String.join(", ", urlSchemes) + " URLs, not "
                            + (scheme.isEmpty() ? "'" + url + "'" : scheme + ": ones")
                            + " (the server option --search.url-schemes widens it)");
        }
        boolean objectStore = OBJECT_STORES.contains(scheme);
        FetchResult r = fetcher.fetch(url).get();
        if (!r.isOk()) {
            if (objectStore) {
                throw new QueryImageRefused(Why.UNUSABLE, "could not read an image from " + url);
            }
            Why why =
                    switch (r.reason()) {
                        case "BAD_URL", "BLOCKED_ADDRESS", "BLOCKED_PATH" -> Why.NOT_ALLOWED;
                        case "TOO_LARGE" -> Why.TOO_LARGE;
                        default -> Why.UNUSABLE;
                    };
            throw new QueryImageRefused(why, "could not fetch " + url + ": " + r.reason() + ": " + r.message());
        }
        try {
            return embed(modelId, r.content());
        } catch (QueryImageRefused e) {
            throw objectStore ? new QueryImageRefused(Why.UNUSABLE, "could not read an image from " + url) : e;
        }
    }

    private static String scheme(String url) {
        int colon = url.indexOf(':');
        if (colon <= 0) {
            return "";
        }
        String scheme = url.substring(0, colon);
        return scheme.chars().allMatch(c -> Character.isLetterOrDigit(c) || c == '+' || c == '-' || c == '.')
                ? scheme.toLowerCase(Locale.ROOT)
                : "";
    }

    /**
     * Loads a model ahead of the first image query, so that query does not wait for it; a model that cannot embed
     * here (a card without a SavedModel, for vector-only indexes) is left for the query to report.
     */
    public void warm(String modelId) {
        try {
            load(modelId);
            // One image through decode and model: TensorFlow optimises a graph on its first run (half a second).
            BufferedImage grey = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(grey, "png", png);
            embed(modelId, png.toByteArray());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            LOG.info("Search by image is not available for model {}: {}", modelId, e.getMessage());
        }
    }

    private synchronized Loaded load(String modelId) throws IOException {
        Loaded m = models.get(modelId);
        if (m == null) {
            ModelStore.Model model = store.resolve(modelId);
            ModelCard card = model.card();
            EmbeddingModel loaded = EmbeddingModel.load(model.dir(), card, 0, 0);
            EmbeddingBatcher batcher = new EmbeddingBatcher(loaded, QUERY_BATCH, maxWait);
            m = new Loaded(card, batcher, ImageEmbedder.of(card, limits, batcher));
            models.put(modelId, m);
        }
        return m;
    }

    @Override
    public synchronized void close() {
        models.values().forEach(m -> m.batcher().close());
        models.clear();
        fetcher.close();
    }
}
