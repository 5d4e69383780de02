package io.imgindex.embed;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.imgindex.format.ModelInfo;
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
 * @param source where the model comes from
 * @param license the model's licence
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ModelCard(
        String id,
        int dimension,
        String metric,
        String signature,
        Input input,
        String output,
        String source,
        String license)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The card's file name inside a model folder. */
    public static final String FILE_NAME = "imgindex-model.json";

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * The model's input: a float32 tensor {@code [batch, height, width, 3]} of RGB values {@code p * scale +
     * offset} for 8-bit pixel values {@code p}.
     *
     * @param name the input tensor's name in the signature
     * @param width pixels
     * @param height pixels
     * @param resize {@code squash} or {@code center_crop}
     * @param scale multiplied with each 0..255 value
     * @param offset added after scaling
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Input(String name, int width, int height, String resize, float scale, float offset)
            implements Serializable {
        private static final long serialVersionUID = 1L;

        public Input {
            Objects.requireNonNull(name, "input.name");
            if (!"squash".equals(resize) && !"center_crop".equals(resize)) {
                throw new IllegalArgumentException("input.resize must be squash or center_crop, was " + resize);
            }
        }
    }

    public ModelCard {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(input, "input");
        Objects.requireNonNull(output, "output");
        signature = signature == null ? "serving_default" : signature;
        metric = metric == null ? ModelInfo.COSINE : metric;
        new ModelInfo(id, dimension, metric); // validates dimension and metric
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
