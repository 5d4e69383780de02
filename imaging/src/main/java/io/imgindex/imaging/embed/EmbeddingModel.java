package io.imgindex.imaging.embed;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Result;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.Tensor;
import org.tensorflow.ndarray.NdArrays;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.DataType;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TString;

/**
 * A SavedModel loaded with TF Java, checked against its {@link ModelCard}, turning batches of model-sized RGB
 * pixels into L2-normalised embeddings.
 *
 * <p>Thread-safe: TF sessions run concurrent calls. Owns native memory: {@link #close()} it.
 */
public final class EmbeddingModel implements AutoCloseable {

    private final ModelCard card;
    private final SavedModelBundle bundle;
    private final SessionFunction function;
    private final int pixelsPerImage;

    private EmbeddingModel(ModelCard card, SavedModelBundle bundle, SessionFunction function) {
        this.card = card;
        this.bundle = bundle;
        this.function = function;
        this.pixelsPerImage = card.input().width() * card.input().height() * 3;
    }

    /**
     * Loads the SavedModel in {@code dir} (tag {@code serve}) and checks that its signature has the card's input
     * (float32, {@code [-1, height, width, 3]}) and output.
     *
     * The model runs on the CPU.
     *
     * @param intraOpThreads TF's threads within an op; 0 lets TF choose
     * @param interOpThreads TF's threads across ops; 0 lets TF choose
     * @throws IllegalArgumentException if the model does not match its card
     */
    public static EmbeddingModel load(Path dir, ModelCard card, int intraOpThreads, int interOpThreads) {
        return load(dir, card, intraOpThreads, interOpThreads, Devices.cpu("asked for"));
    }

    /** Loads on the given devices (see {@link Devices}). */
    public static EmbeddingModel load(
            Path dir, ModelCard card, int intraOpThreads, int interOpThreads, Devices devices) {
        ConfigProto config = devices.configProto(intraOpThreads, interOpThreads);
        SavedModelBundle bundle = SavedModelBundle.loader(dir.toString())
                .withTags("serve")
                .withConfigProto(config)
                .load();
        try {
            SessionFunction fn = bundle.function(card.signature());
            check(fn.signature(), card, dir);
            return new EmbeddingModel(card, bundle, fn);
        } catch (RuntimeException e) {
            bundle.close();
            throw e;
        }
    }

    private static void check(Signature signature, ModelCard card, Path dir) {
        Signature.TensorDescription in = signature.getInputs().get(card.input().name());
        if (in == null) {
            throw new IllegalArgumentException(dir + ": signature '" + card.signature() + "' has no input '"
                    + card.input().name() + "', it has " + signature.inputNames());
        }
        if (!signature.getOutputs().containsKey(card.output())) {
            throw new IllegalArgumentException(dir + ": signature '" + card.signature() + "' has no output '"
                    + card.output() + "', it has " + signature.outputNames());
        }
        if (card.input().takesEncodedImages()) {
            if (in.dataType != DataType.DT_STRING || in.shape.numDimensions() != 1) {
                throw new IllegalArgumentException(
                        dir + ": input '" + card.input().name() + "' is " + in.dataType + " " + in.shape
                                + ", the card says a batch of encoded images (DT_STRING [-1])");
            }
            return;
        }
        if (in.dataType != DataType.DT_FLOAT) {
            throw new IllegalArgumentException(
                    dir + ": input '" + card.input().name() + "' is " + in.dataType + ", expected DT_FLOAT");
        }
        Shape expected = Shape.of(-1, card.input().height(), card.input().width(), 3);
        if (in.shape.numDimensions() != 4
                || in.shape.get(1) != expected.get(1)
                || in.shape.get(2) != expected.get(2)
                || in.shape.get(3) != 3) {
            throw new IllegalArgumentException(dir + ": input shape is " + in.shape + ", the card says " + expected);
        }
    }

    public ModelCard card() {
        return card;
    }

    /**
     * Describes an existing SavedModel by a card, from its {@code serving_default} signature: a batch of encoded
     * images ({@code DT_STRING [-1]}) or of pixels ({@code DT_FLOAT [-1, height, width, 3]}, fed as {@code p * scale
     * + offset}) in, {@code [batch, dimension]} out, with a static dimension.
     *
     * @param inputName the signature's input key, or null for its only input
     * @param outputName the signature's output key, or null for its only output
     * @throws IllegalArgumentException if the signature does not fit
     */
    public static ModelCard describe(
            Path dir,
            String id,
            String inputName,
            String outputName,
            float scale,
            float offset,
            String resize,
            String metric,
            String source,
            String license) {
        try (SavedModelBundle bundle =
                SavedModelBundle.loader(dir.toString()).withTags("serve").load()) {
            SessionFunction fn = bundle.function(Signature.DEFAULT_KEY);
            Signature sig = fn.signature();
            String in = only(inputName, sig.getInputs().keySet(), "input");
            String out = only(outputName, sig.getOutputs().keySet(), "output");
            Signature.TensorDescription input = sig.getInputs().get(in);
            Signature.TensorDescription output = sig.getOutputs().get(out);
            ModelCard.Input spec;
            if (input.dataType == DataType.DT_STRING) {
                spec = ModelCard.Input.encoded(in);
            } else if (input.dataType == DataType.DT_FLOAT
                    && input.shape.numDimensions() == 4
                    && input.shape.get(1) > 0
                    && input.shape.get(2) > 0
                    && input.shape.get(3) == 3) {
                spec = ModelCard.Input.pixels(
                        in, (int) input.shape.get(2), (int) input.shape.get(1), resize, scale, offset);
            } else {
                throw new IllegalArgumentException(dir + ": input '" + in + "' is " + input.dataType + " " + input.shape
                        + "; expected DT_STRING [-1] (encoded images) or DT_FLOAT [-1, h, w, 3]");
            }
            int dimension =
                    output.shape.numDimensions() == 2 && output.shape.get(1) > 0 ? (int) output.shape.get(1) : -1;
            if (dimension < 1) {
                throw new IllegalArgumentException(dir + ": output '" + out + "' has shape " + output.shape
                        + "; the embedding dimension must be static");
            }
            return new ModelCard(
                    id,
                    dimension,
                    metric,
                    Signature.DEFAULT_KEY,
                    spec,
                    out,
                    source,
                    license,
                    spec.takesEncodedImages()
                            ? "the model decodes and scales by itself"
                            : "pixels 0..255 times " + scale + " plus " + offset + ", in imgindex");
        }
    }

    private static String only(String named, Set<String> keys, String what) {
        if (named != null) {
            if (!keys.contains(named)) {
                throw new IllegalArgumentException("the signature has no " + what + " '" + named + "', it has " + keys);
            }
            return named;
        }
        if (keys.size() != 1) {
            throw new IllegalArgumentException("the signature has " + what + "s " + keys + ": name the one to use");
        }
        return keys.iterator().next();
    }

    /**
     * Embeds a batch.
     *
     * @param images RGB pixels of each image, {@code width * height * 3} bytes as the card says; or, for a model
     *     that takes encoded images, the image files
     * @return one L2-normalised vector of {@code dimension} floats per image, in order
     * @throws IllegalStateException if the model's output has the wrong shape or is not finite
     */
    public float[][] embed(List<byte[]> images) {
        if (card.input().takesEncodedImages()) {
            try (TString tensor = TString.tensorOfBytes(NdArrays.vectorOfObjects(images.toArray(new byte[0][])))) {
                return run(tensor, images.size());
            }
        }
        int n = images.size();
        float[] input = new float[n * pixelsPerImage];
        float scale = card.input().scale();
        float offset = card.input().offset();
        for (int i = 0; i < n; i++) {
            byte[] px = images.get(i);
            if (px.length != pixelsPerImage) {
                throw new IllegalArgumentException(
                        "image " + i + " has " + px.length + " bytes, expected " + pixelsPerImage);
            }
            int base = i * pixelsPerImage;
            for (int j = 0; j < pixelsPerImage; j++) {
                input[base + j] = (px[j] & 0xFF) * scale + offset;
            }
        }
        Shape shape = Shape.of(n, card.input().height(), card.input().width(), 3);
        try (TFloat32 tensor = TFloat32.tensorOf(shape, DataBuffers.of(input, true, false))) {
            return run(tensor, n);
        }
    }

    private float[][] run(Tensor tensor, int n) {
        int dim = card.dimension();
        float[] flat = new float[n * dim];
        try (Result result = function.call(Map.of(card.input().name(), tensor))) {
            Tensor out = result.get(card.output())
                    .orElseThrow(() -> new IllegalStateException("the model returned no '" + card.output() + "'"));
            if (!(out instanceof TFloat32) || !out.shape().equals(Shape.of(n, dim))) {
                throw new IllegalStateException("the model returned " + out.dataType() + " " + out.shape()
                        + ", expected DT_FLOAT " + Shape.of(n, dim));
            }
            ((TFloat32) out).copyTo(DataBuffers.of(flat, false, false));
        }
        float[][] vectors = new float[n][];
        for (int i = 0; i < n; i++) {
            vectors[i] = normalised(flat, i * dim, dim);
        }
        return vectors;
    }

    private static float[] normalised(float[] flat, int from, int dim) {
        float[] v = new float[dim];
        double sum = 0;
        for (int j = 0; j < dim; j++) {
            float x = flat[from + j];
            if (!Float.isFinite(x)) {
                throw new IllegalStateException("the model returned a non-finite value");
            }
            v[j] = x;
            sum += (double) x * x;
        }
        if (sum == 0) {
            return v; // an all-zero vector stays zero: it matches nothing rather than everything
        }
        float inv = (float) (1 / Math.sqrt(sum));
        for (int j = 0; j < dim; j++) {
            v[j] *= inv;
        }
        return v;
    }

    @Override
    public void close() {
        bundle.close();
    }
}
