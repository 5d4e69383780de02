package io.imgindex.imaging.embed;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Sum;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/**
 * The built-in model: small, deterministic, built by the project itself with TF Java, so the pipeline runs end
 * to end with no download. Not a learned model; it makes near-identical pictures (resized, re-encoded) land
 * close together and is a stand-in until a pretrained model is imported.
 *
 * <p>Graph: a 32x32 RGB thumbnail, averaged over 4x4 blocks to 8x8x3 = 192 values, centred per
 * image (brightness shifts cancel; contrast cancels in the final normalisation), projected by a fixed Gaussian matrix (seed
 * {@value #SEED}, {@code java.util.Random}) to {@value #DIMENSION} dimensions, L2-normalised. Cosine
 * similarity of two embeddings approximates the correlation of the two 8x8 thumbnails.
 */
public final class ThumbnailModel {

    /** The model id. */
    public static final String ID = "imgindex-thumb-v1";

    public static final int DIMENSION = 128;

    public static final int INPUT_SIZE = 32;

    static final long SEED = 42;

    private static final int POOLED = 8 * 8 * 3;

    private ThumbnailModel() {}

    /** The card of the built-in model. */
    public static ModelCard card() {
        return new ModelCard(
                ID,
                DIMENSION,
                "cosine",
                "serving_default",
                ModelCard.Input.pixels("pixels", INPUT_SIZE, INPUT_SIZE, "squash", 1f, 0f),
                "embedding",
                "built by imgindex (ThumbnailModel): 4x4 average pooling of a 32x32 thumbnail, centred"
                        + " per image, random Gaussian projection (seed 42) to 128 dimensions,"
                        + " L2-normalised",
                "Apache-2.0",
                "0..255 as they are; the graph centres each image",
                ModelCatalog.THUMBNAIL_NEAR_DUPLICATE);
    }

    /**
     * Writes the SavedModel and its card into {@code dir} (created if missing). Deterministic: the same folder
     * content every time.
     */
    public static void export(Path dir) throws IOException {
        Files.createDirectories(dir);
        try (Graph graph = new Graph();
                Session session = new Session(graph)) {
            Ops tf = Ops.create(graph);
            Placeholder<TFloat32> pixels = tf.withName("pixels")
                    .placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, INPUT_SIZE, INPUT_SIZE, 3)));
            Operand<TFloat32> pooled = tf.nn.avgPool(pixels, List.of(1L, 4L, 4L, 1L), List.of(1L, 4L, 4L, 1L), "VALID");
            Operand<TFloat32> flat = tf.reshape(pooled, tf.constant(new int[] {-1, POOLED}));
            Operand<TFloat32> mean = tf.math.mean(flat, tf.constant(1), Mean.keepDims(true));
            Operand<TFloat32> centred = tf.math.sub(flat, mean);
            Operand<TFloat32> projected = tf.linalg.matMul(centred, tf.constant(projection()));
            Operand<TFloat32> sumSquares = tf.sum(tf.math.square(projected), tf.constant(1), Sum.keepDims(true));
            // The epsilon keeps a flat grey image (all zeros after centring) finite instead of NaN.
            Operand<TFloat32> norm = tf.math.rsqrt(tf.math.maximum(sumSquares, tf.constant(1e-12f)));
            Operand<TFloat32> embedding = tf.withName("embedding").math.mul(projected, norm);
            Signature signature = Signature.builder()
                    .key("serving_default")
                    .input("pixels", pixels)
                    .output("embedding", embedding)
                    .build();
            SavedModelBundle.exporter(dir.toString())
                    .withFunction(SessionFunction.create(signature, session))
                    .export();
        }
        card().write(dir);
    }

    /** The fixed projection, {@code POOLED x DIMENSION}, scaled so that outputs have unit variance. */
    static float[][] projection() {
        Random random = new Random(SEED);
        float[][] w = new float[POOLED][DIMENSION];
        float scale = (float) (1 / Math.sqrt(DIMENSION));
        for (int i = 0; i < POOLED; i++) {
            for (int j = 0; j < DIMENSION; j++) {
                w[i][j] = (float) random.nextGaussian() * scale;
            }
        }
        return w;
    }
}
