package io.imgindex.imaging.embed.tfjs;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.tensorflow.ConcreteFunction;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.SavedModelBundle;
import org.tensorflow.Session;
import org.tensorflow.SessionFunction;
import org.tensorflow.Signature;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.core.Sum;
import org.tensorflow.op.image.DecodeImage;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;
import org.tensorflow.types.TString;
import org.tensorflow.types.TUint8;

/**
 * Wraps a model graph (image tensor in, feature tensor out) into an imgindex SavedModel with two signatures that
 * share one copy of the model:
 *
 * <ul>
 *   <li>{@code serving_default}: {@code images}, a batch of encoded image bytes (JPEG, PNG, GIF, BMP) →
 *       {@code embedding}; decoding and resizing happen in TensorFlow, for any client of the SavedModel;
 *   <li>{@value #PIXELS_SIGNATURE}: {@code pixels}, float32 {@code [batch, height, width, 3]} with values 0..255 →
 *       {@code embedding}; what imgindex's pipeline calls, having decoded, oriented and resized the image itself.
 * </ul>
 *
 * The pixels are scaled ({@code x * scale + offset}) into the range the model expects, and the embedding is the
 * chosen output node, L2-normalised.
 */
public final class EmbeddingGraphExporter {

    /** The signature imgindex's pipeline calls. */
    public static final String PIXELS_SIGNATURE = "pixels";

    private EmbeddingGraphExporter() {}

    /**
     * @param core the model graph
     * @param inputNode the name of the model's image placeholder, to be fed by the scaled pixels
     * @param outputNode the name of the node whose output (shape {@code [batch, dimension]}) is the embedding
     * @param centerCrop whether the bytes path crops the centre to the input's aspect ratio before resizing
     * @return the embedding dimension
     */
    public static int export(
            GraphDef core,
            String inputNode,
            String outputNode,
            int height,
            int width,
            float scale,
            float offset,
            boolean centerCrop,
            Path dir)
            throws IOException {
        GraphDef front = frontGraph(height, width, scale, offset, centerCrop);
        GraphDef.Builder merged = front.toBuilder();
        boolean replaced = false;
        for (NodeDef n : core.getNodeList()) {
            if (n.getName().equals(inputNode)) {
                if (!n.getOp().equals("Placeholder")) {
                    throw new IOException("input node " + inputNode + " is a " + n.getOp() + ", not a Placeholder");
                }
                merged.addNode(NodeDef.newBuilder()
                        .setName(inputNode)
                        .setOp("Identity")
                        .addInput("imgindex_model_input")
                        .putAttr(
                                "T",
                                AttrValue.newBuilder()
                                        .setType(DataType.DT_FLOAT)
                                        .build()));
                replaced = true;
            } else {
                merged.addNode(n);
            }
        }
        if (!replaced) {
            throw new IOException("the graph has no input node " + inputNode);
        }
        merged.setVersions(core.getVersions());
        try (Graph graph = new Graph();
                Session session = new Session(graph)) {
            try {
                graph.importGraphDef(merged.build());
            } catch (IllegalArgumentException e) {
                throw new IOException("TensorFlow refuses the converted graph: " + e.getMessage(), e);
            }
            Ops tf = Ops.create(graph);
            if (graph.operation(outputNode) == null) {
                throw new IOException("the graph has no output node " + outputNode);
            }
            Output<TFloat32> features = graph.operation(outputNode).output(0);
            Shape shape = features.shape();
            if (shape.numDimensions() != 2 || shape.get(1) < 1) {
                throw new IOException("output " + outputNode + " has shape " + shape + ", expected [batch, dimension]");
            }
            Operand<TFloat32> norm = tf.math.rsqrt(tf.math.maximum(
                    tf.sum(tf.math.square(features), tf.constant(1), Sum.keepDims(true)), tf.constant(1e-12f)));
            Operand<TFloat32> embedding = tf.withName("imgindex_embedding").math.mul(features, norm);
            Operand<TString> images = graph.operation("imgindex_images").output(0);
            Operand<TFloat32> pixels = graph.operation("imgindex_pixels").output(0);
            Signature bytes = Signature.builder()
                    .key(Signature.DEFAULT_KEY)
                    .input("images", images)
                    .output("embedding", embedding)
                    .build();
            Signature raw = Signature.builder()
                    .key(PIXELS_SIGNATURE)
                    .input("pixels", pixels)
                    .output("embedding", embedding)
                    .build();
            SavedModelBundle.exporter(dir.toString())
                    .withFunctions(SessionFunction.create(bytes, session), SessionFunction.create(raw, session))
                    .export();
            return (int) shape.get(1);
        }
    }

    /**
     * The part before the model: encoded images decoded and resized one by one ({@code MapDefun}), or pixels fed
     * directly (a {@code PlaceholderWithDefault} that defaults to the decoded batch), then scaled.
     */
    private static GraphDef frontGraph(int height, int width, float scale, float offset, boolean centerCrop) {
        try (Graph graph = new Graph()) {
            Ops tf = Ops.create(graph);
            ConcreteFunction decodeOne = ConcreteFunction.create(f -> {
                Placeholder<TString> image = f.placeholder(TString.class, Placeholder.shape(Shape.scalar()));
                Operand<TUint8> decoded = f.image.decodeImage(
                        image, TUint8.class, DecodeImage.channels(3L), DecodeImage.expandAnimations(false));
                Operand<TUint8> cropped = centerCrop ? centreCrop(f, decoded, height, width) : decoded;
                Operand<TFloat32> resized =
                        f.image.resizeArea(f.expandDims(cropped, f.constant(0)), f.constant(new int[] {height, width}));
                Operand<TFloat32> one = f.squeeze(resized, Squeeze.axis(List.of(0L)));
                return Signature.builder()
                        .input("image", image)
                        .output("pixels", one)
                        .build();
            });
            graph.attachFunction(decodeOne);
            Placeholder<TString> images =
                    tf.withName("imgindex_images").placeholder(TString.class, Placeholder.shape(Shape.of(-1)));
            Output<?> batch = tf.mapDefun(
                            List.of(images),
                            List.of(),
                            List.of(TFloat32.class),
                            List.of(Shape.of(height, width, 3)),
                            decodeOne)
                    .output()
                    .get(0);
            @SuppressWarnings("unchecked")
            Operand<TFloat32> decodedBatch = (Operand<TFloat32>) batch;
            Operand<TFloat32> pixels =
                    tf.withName("imgindex_pixels").placeholderWithDefault(decodedBatch, Shape.of(-1, height, width, 3));
            Operand<TFloat32> scaled = tf.math.add(tf.math.mul(pixels, tf.constant(scale)), tf.constant(offset));
            tf.withName("imgindex_model_input").identity(scaled);
            return graph.toGraphDef();
        }
    }

    /** The largest centred region of the target's aspect ratio. */
    private static Operand<TUint8> centreCrop(Ops f, Operand<TUint8> image, int height, int width) {
        Operand<TInt32> shape = f.shape(image);
        Operand<TInt32> h = f.gather(shape, f.constant(0), f.constant(0));
        Operand<TInt32> w = f.gather(shape, f.constant(1), f.constant(0));
        // Crop width = min(w, h * width / height), crop height = min(h, w * height / width), in integers.
        Operand<TInt32> cropW =
                f.math.minimum(w, f.math.floorDiv(f.math.mul(h, f.constant(width)), f.constant(height)));
        Operand<TInt32> cropH =
                f.math.minimum(h, f.math.floorDiv(f.math.mul(w, f.constant(height)), f.constant(width)));
        Operand<TInt32> y0 = f.math.floorDiv(f.math.sub(h, cropH), f.constant(2));
        Operand<TInt32> x0 = f.math.floorDiv(f.math.sub(w, cropW), f.constant(2));
        Operand<TInt32> begin = f.stack(List.of(y0, x0, f.constant(0)));
        Operand<TInt32> size = f.stack(List.of(cropH, cropW, f.constant(3)));
        return f.slice(image, begin, size);
    }
}
