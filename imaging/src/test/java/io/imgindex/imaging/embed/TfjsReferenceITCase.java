package io.imgindex.imaging.embed;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntUnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The imported models against their TensorFlow.js originals: each model is fetched with npm and converted as a
 * user's first run would, then fed the fixed inputs that {@code src/test/tfjs-reference/make-reference.mjs} fed
 * TensorFlow.js; the L2-normalised embeddings must agree within 1e-4 in every component.
 */
class TfjsReferenceITCase {

    static final int SIZE = 224;

    @ParameterizedTest
    @ValueSource(strings = {"mobilenet-v2-140", "faceres"})
    void matchesTensorFlowJs(String id) throws IOException {
        JsonNode reference = read("/tfjs-reference/" + id + ".json");
        ModelStore.Model model = new ModelStore(Paths.get("target", "model-cache")).resolve(id);
        assertThat(model.card().id()).isEqualTo(id);
        assertThat(model.card().dimension())
                .isEqualTo(reference.get("embeddings").get(0).size());

        List<byte[]> inputs = new ArrayList<>();
        for (JsonNode input : reference.get("inputs")) {
            inputs.add(
                    input.has("file")
                            ? bytes("/tfjs-reference/" + input.get("file").asText())
                            : pattern(input.get("name").asText()));
        }
        double worst = 0;
        try (EmbeddingModel m = EmbeddingModel.load(model.dir(), model.card(), 0, 0)) {
            float[][] ours = m.embed(inputs);
            for (int k = 0; k < ours.length; k++) {
                JsonNode theirs = reference.get("embeddings").get(k);
                for (int j = 0; j < ours[k].length; j++) {
                    worst = Math.max(worst, Math.abs(ours[k][j] - theirs.get(j).asDouble()));
                }
            }
        }
        System.out.printf("%s: max abs difference to TensorFlow.js over %d inputs: %.3g%n", id, inputs.size(), worst);
        assertThat(worst).isLessThan(1e-4);
    }

    /** The synthetic inputs of make-reference.mjs, computed the same way. */
    static byte[] pattern(String name) {
        IntUnaryOperator pixel =
                switch (name) {
                    case "sine-0" -> i -> (int) Math.round(255 * (0.5 + 0.5 * Math.sin(0.001 * i)));
                    case "sine-1" -> i -> (int) Math.round(255 * (0.5 + 0.5 * Math.sin(0.002 * i + 1)));
                    default -> throw new IllegalArgumentException("unknown pattern " + name);
                };
        byte[] px = new byte[SIZE * SIZE * 3];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) pixel.applyAsInt(i);
        }
        return px;
    }

    static JsonNode read(String resource) throws IOException {
        try (InputStream in = TfjsReferenceITCase.class.getResourceAsStream(resource)) {
            return new ObjectMapper().readTree(in);
        }
    }

    static byte[] bytes(String resource) throws IOException {
        try (InputStream in = TfjsReferenceITCase.class.getResourceAsStream(resource)) {
            return in.readAllBytes();
        }
    }
}
