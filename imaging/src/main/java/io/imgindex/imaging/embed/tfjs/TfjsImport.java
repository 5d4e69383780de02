package io.imgindex.imaging.embed.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.IndexLayout;
import io.imgindex.imaging.embed.ModelCard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorShapeProto;

/**
 * Converts a TensorFlow.js graph model into an imgindex model folder: a SavedModel (see
 * {@link EmbeddingGraphExporter}) and its {@link ModelCard}.
 *
 * @param id the model id written into the card and into every index the model makes
 * @param inputNode the image placeholder; null to take the graph's only placeholder
 * @param outputNode the node whose output is the embedding; null to take the converter's recorded output
 * @param size the input's width and height; 0 to read it from the placeholder's shape
 * @param scale pixel values 0..255 are multiplied by this before the network
 * @param offset and then this is added
 * @param resize {@code squash} or {@code center_crop}
 * @param metric {@code cosine} or {@code dot}
 * @param source where the model came from, for the card
 * @param license the model's licence, for the card
 */
public record TfjsImport(
        String id,
        String inputNode,
        String outputNode,
        int size,
        float scale,
        float offset,
        String resize,
        String metric,
        String source,
        String license) {

    public TfjsImport {
        Objects.requireNonNull(id, "id");
        IndexLayout.checkIndexName(id); // ids become folder names too
        resize = resize == null ? "squash" : resize;
        metric = metric == null ? "cosine" : metric;
    }

    /**
     * Converts the model at {@code model} (a {@code model.json}, a folder holding one, or a folder of a packaged
     * model with {@code model.min.js}) into {@code out}, which must not exist yet.
     *
     * @return the card written
     */
    public ModelCard convert(Path model, Path out) throws IOException {
        if (Files.exists(out)) {
            throw new IOException(out + " exists already");
        }
        Path json = model;
        Path unpacked = null;
        if (Files.isDirectory(model)) {
            if (Files.isRegularFile(model.resolve("model.json"))) {
                json = model.resolve("model.json");
            } else if (Files.isRegularFile(model.resolve("model.min.js"))) {
                unpacked = Files.createTempDirectory("imgindex-tfjs-");
                json = NpmPackages.unpackMinifiedModel(model, unpacked);
            } else {
                throw new IOException(model + " holds neither model.json nor model.min.js");
            }
        }
        try {
            TfjsGraphModel tfjs = TfjsGraphModel.read(json);
            GraphDef graph = tfjs.toGraphDef();
            NodeDef input = inputNode(graph);
            String output = outputNode != null ? outputNode : recordedOutput(tfjs, graph);
            int[] hw = inputSize(input);
            Path staging = out.resolveSibling("." + out.getFileName() + ".importing");
            NpmPackages.deleteTree(staging);
            Files.createDirectories(staging);
            int dimension = EmbeddingGraphExporter.export(
                    graph, input.getName(), output, hw[0], hw[1], scale, offset, "center_crop".equals(resize), staging);
            ModelCard card = new ModelCard(
                    id,
                    dimension,
                    metric,
                    EmbeddingGraphExporter.PIXELS_SIGNATURE,
                    ModelCard.Input.pixels("pixels", hw[1], hw[0], resize, 1f, 0f),
                    "embedding",
                    source + " (converted from " + tfjs.convertedBy().strip() + "; output node " + output + ")",
                    license,
                    "pixels 0..255 times " + scale + " plus " + offset + ", in the graph");
            card.write(staging);
            Files.move(staging, out);
            return card;
        } finally {
            if (unpacked != null) {
                NpmPackages.deleteTree(unpacked);
            }
        }
    }

    private NodeDef inputNode(GraphDef graph) throws IOException {
        List<NodeDef> placeholders = new ArrayList<>();
        for (NodeDef n : graph.getNodeList()) {
            if (n.getOp().equals("Placeholder")) {
                if (n.getName().equals(inputNode)) {
                    return n;
                }
                placeholders.add(n);
            }
        }
        if (inputNode != null) {
            throw new IOException("no placeholder named " + inputNode + "; the graph has "
                    + placeholders.stream().map(NodeDef::getName).toList());
        }
        if (placeholders.size() != 1) {
            throw new IOException("the graph has " + placeholders.size() + " placeholders "
                    + placeholders.stream().map(NodeDef::getName).toList() + ": name the image input");
        }
        return placeholders.get(0);
    }

    private static String recordedOutput(TfjsGraphModel tfjs, GraphDef graph) throws IOException {
        JsonNode outputs = tfjs.signature().path("outputs");
        if (outputs.size() == 1) {
            String name = outputs.fieldNames().next();
            return name.contains(":") ? name.substring(0, name.indexOf(':')) : name;
        }
        throw new IOException("name the output node: the model records " + outputs.size() + " outputs; the graph's"
                + " last nodes are "
                + graph.getNodeList().subList(Math.max(0, graph.getNodeCount() - 5), graph.getNodeCount()).stream()
                        .map(NodeDef::getName)
                        .toList());
    }

    private int[] inputSize(NodeDef input) throws IOException {
        if (size > 0) {
            return new int[] {size, size};
        }
        TensorShapeProto shape = input.getAttrMap().containsKey("shape")
                ? input.getAttrMap().get("shape").getShape()
                : TensorShapeProto.getDefaultInstance();
        if (shape.getDimCount() == 4
                && shape.getDim(1).getSize() > 0
                && shape.getDim(2).getSize() > 0
                && shape.getDim(3).getSize() == 3) {
            return new int[] {
                (int) shape.getDim(1).getSize(), (int) shape.getDim(2).getSize()
            };
        }
        throw new IOException(
                "input " + input.getName() + " has shape " + shape.getDimList() + ": give the input size");
    }
}
