package io.imgindex.imaging.embed;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imgindex.format.ModelInfo;
import io.imgindex.imaging.decode.DecodeOptions;
import java.io.IOException;
import java.io.Serializable;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * What the job needs to know about a model without loading it: {@value #FILE_NAME}, beside the SavedModel's
 * {@code saved_model.pb}.
 *
 * @param id the model id recorded in every index it makes
 * @param dimension floats per embedding
 * @param metric {@code cosine} (embeddings are L2-normalised) or {@code dot}
 * @param signature the SavedModel signature to call, usually {@code serving_default}
 * @param input the input tensor: name, size, how pixels are resized and scaled
 * @param output the name of the output tensor, shaped {@code [batch, dimension]}
 * @param source where the model comes from (package and version, path inside it)
 * @param license the model's licence
 * @param normalisation how pixel values reach the network, for people (e.g. {@code x / 255, in the graph})
 * @param nearDuplicateThreshold the cosine similarity at or above which two images are near-duplicates for this
 *     model, measured on imgindex's near-duplicate benchmark (see the README); null if never measured
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelCard(
        String id,
        int dimension,
        String metric,
        String signature,
        Input input,
        String output,
        String source,
        String license,
        String normalisation,
        Float nearDuplicateThreshold)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The card's file name inside a model folder. */
    public static final String FILE_NAME = "imgindex-model.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The model's input. For {@code dtype} {@value #FLOAT32}, a tensor {@code [batch, height, width, 3]} of RGB values
     * {@code p * scale + offset} for 8-bit pixel values {@code p}, the image resized as {@code resize} says; for
     * {@value #STRING}, a batch of encoded image files as fetched (the model decodes them; width, height, resize,
     * scale and offset do not apply).
     *
     * @param name the input tensor's name in the signature
     * @param dtype {@value #FLOAT32} (the default) or {@value #STRING}
     * @param width pixels
     * @param height pixels
     * @param resize {@code squash} or {@code center_crop}
     * @param scale multiplied with each 0..255 value
     * @param offset added after scaling
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Input(String name, String dtype, int width, int height, String resize, float scale, float offset)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        public static final String FLOAT32 = "float32";
        public static final String STRING = "string";

        public Input {
            Objects.requireNonNull(name, "input.name");
            dtype = dtype == null ? FLOAT32 : dtype;
            if (!dtype.equals(FLOAT32) && !dtype.equals(STRING)) {
                throw new IllegalArgumentException("input.dtype must be float32 or string, was " + dtype);
            }
            if (dtype.equals(FLOAT32)) {
                if (!"squash".equals(resize) && !"center_crop".equals(resize)) {
                    throw new IllegalArgumentException("input.resize must be squash or center_crop, was " + resize);
                }
                if (width < 1 || height < 1) {
                    throw new IllegalArgumentException("input size must be positive, was " + width + "x" + height);
                }
            }
        }

        /** Pixels in, resized by imgindex. */
        public static Input pixels(String name, int width, int height, String resize, float scale, float offset) {
            return new Input(name, FLOAT32, width, height, resize, scale, offset);
        }

        /** Encoded image files in, decoded by the model. */
        public static Input encoded(String name) {
            return new Input(name, STRING, 0, 0, null, 1, 0);
        }

        /** Whether the model takes encoded files rather than pixels. */
        public boolean takesEncodedImages() {
            return dtype.equals(STRING);
        }
    }

    /**
     * How images are decoded for this model, under {@code limits}: resized pixels of its input size, or, for a
     * model that decodes encoded files itself, validated and passed on as they are. The one rule, for the job and
     * the server alike.
     */
    public DecodeOptions decodeOptions(DecodeOptions.Limits limits) {
        return input.takesEncodedImages()
                ? DecodeOptions.encoded(limits)
                : DecodeOptions.pixels(limits, input.width(), input.height(), "center_crop".equals(input.resize()));
    }

    public ModelCard {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        signature = signature == null ? "serving_default" : signature;
        metric = metric == null ? ModelInfo.COSINE : metric;
        new ModelInfo(id, dimension, metric); // validates dimension and metric
        if (nearDuplicateThreshold != null && !(nearDuplicateThreshold > 0f && nearDuplicateThreshold <= 1f)) {
            throw new IllegalArgumentException(
                    "near_duplicate_threshold must be in (0, 1], was " + nearDuplicateThreshold);
        }
    }

    /** A card without a near-duplicate threshold. */
    public ModelCard(
            String id,
            int dimension,
            String metric,
            String signature,
            Input input,
            String output,
            String source,
            String license,
            String normalisation) {
        this(id, dimension, metric, signature, input, output, source, license, normalisation, null);
    }

    /** The same card with another near-duplicate threshold. */
    public ModelCard withNearDuplicateThreshold(Float threshold) {
        return new ModelCard(
                id, dimension, metric, signature, input, output, source, license, normalisation, threshold);
    }

    /** The part of the card an index records. */
    public ModelInfo info() {
        return new ModelInfo(id, dimension, metric);
    }

    /** Reads {@code <dir>/imgindex-model.json}. */
    public static ModelCard read(Path modelDir) throws IOException {
        Path card = modelDir.resolve(FILE_NAME);
        if (!Files.isRegularFile(card)) {
            throw new IOException("no " + FILE_NAME + " in " + modelDir + ": not an imgindex model folder");
        }
        try {
            return JSON.readValue(card.toFile(), ModelCard.class);
        } catch (IOException | IllegalArgumentException e) {
            throw new IOException(card + " is not a valid model card: " + e.getMessage(), e);
        }
    }

    /** Writes the card into a model folder. */
    public void write(Path modelDir) throws IOException {
        Files.write(modelDir.resolve(FILE_NAME), JSON.writeValueAsBytes(this));
    }
}
