package io.imgindex.imaging.embed.tfjs;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;

/**
 * Rewrites the fused ops that the TensorFlow.js converter emits into standard TensorFlow ops, keeping each
 * fused node's name on the last op of its expansion so the rest of the graph is untouched:
 *
 * <ul>
 *   <li>{@code _FusedConv2D} → {@code Conv2D} + {@code BiasAdd} (+ activation);
 *   <li>{@code FusedDepthwiseConv2dNative} → {@code DepthwiseConv2dNative} + {@code BiasAdd} (+ activation);
 *   <li>{@code _FusedMatMul} → {@code MatMul} + {@code BiasAdd} (+ activation);
 *   <li>{@code Prelu} → {@code max(x, 0) + alpha * min(x, 0)} as {@code Relu}, {@code Sub}, {@code Mul},
 *       {@code AddV2}.
 * </ul>
 *
 * Activations: {@code Relu}, {@code Relu6}, {@code Elu}, {@code Selu}, {@code Sigmoid}, {@code Tanh},
 * {@code LeakyRelu} (with its alpha) and {@code Prelu} (its alpha is the fused node's second extra input). A fused
 * batch normalisation is refused with a clear message: the converters of the models used here do not emit it.
 */
final class FusedOps {

    private FusedOps() {}

    static GraphDef rewrite(GraphDef graph) throws IOException {
        GraphDef.Builder out = graph.toBuilder().clearNode();
        for (NodeDef n : graph.getNodeList()) {
            switch (n.getOp()) {
                case "_FusedConv2D" -> expand(
                        out,
                        n,
                        "Conv2D",
                        List.of(
                                "T",
                                "strides",
                                "padding",
                                "explicit_paddings",
                                "data_format",
                                "dilations",
                                "use_cudnn_on_gpu"));
                case "FusedDepthwiseConv2dNative" -> expand(
                        out,
                        n,
                        "DepthwiseConv2dNative",
                        List.of("T", "strides", "padding", "explicit_paddings", "data_format", "dilations"));
                case "_FusedMatMul" -> expand(out, n, "MatMul", List.of("T", "transpose_a", "transpose_b"));
                case "Prelu" -> prelu(out, n.getName(), n.getInput(0), n.getInput(1), typeOf(n));
                default -> out.addNode(n.toBuilder().clearDevice());
            }
        }
        return out.build();
    }

    private static void expand(GraphDef.Builder out, NodeDef n, String baseOp, List<String> baseAttrs)
            throws IOException {
        List<String> fused = new ArrayList<>();
        AttrValue fusedOps = n.getAttrMap().get("fused_ops");
        if (fusedOps != null) {
            fusedOps.getList().getSList().forEach(s -> fused.add(s.toString(StandardCharsets.UTF_8)));
        }
        List<String> args = n.getInputList().subList(2, n.getInputCount());
        AttrValue type = typeOf(n);
        NodeDef.Builder base = NodeDef.newBuilder()
                .setName(n.getName() + "/imgindex_" + baseOp)
                .setOp(baseOp)
                .addInput(n.getInput(0))
                .addInput(n.getInput(1));
        for (String a : baseAttrs) {
            AttrValue v = n.getAttrMap().get(a);
            if (v != null) {
                base.putAttr(a, v);
            }
        }
        if (fused.isEmpty()) {
            out.addNode(base.setName(n.getName()));
            return;
        }
        out.addNode(base);
        String current = base.getName();
        int argIndex = 0;
        for (int i = 0; i < fused.size(); i++) {
            String op = fused.get(i);
            boolean last = i == fused.size() - 1;
            String name = last ? n.getName() : n.getName() + "/imgindex_" + op;
            switch (op) {
                case "BiasAdd" -> {
                    NodeDef.Builder b = NodeDef.newBuilder()
                            .setName(name)
                            .setOp("BiasAdd")
                            .addInput(current)
                            .addInput(args.get(argIndex++))
                            .putAttr("T", type);
                    AttrValue format = n.getAttrMap().get("data_format");
                    if (format != null && !baseOp.equals("MatMul")) {
                        b.putAttr("data_format", format);
                    }
                    out.addNode(b);
                }
                case "Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh" -> out.addNode(NodeDef.newBuilder()
                        .setName(name)
                        .setOp(op)
                        .addInput(current)
                        .putAttr("T", type));
                case "LeakyRelu" -> {
                    NodeDef.Builder b = NodeDef.newBuilder()
                            .setName(name)
                            .setOp("LeakyRelu")
                            .addInput(current)
                            .putAttr("T", type);
                    AttrValue alpha = n.getAttrMap().get("leakyrelu_alpha");
                    if (alpha != null) {
                        b.putAttr("alpha", alpha);
                    }
                    out.addNode(b);
                }
                case "Prelu" -> prelu(out, name, current, args.get(argIndex++), type);
                default -> throw new IOException("node " + n.getName() + " (" + n.getOp() + ") fuses " + op
                        + ", which this importer does not expand (it handles BiasAdd and the common activations)");
            }
            current = name;
        }
    }

    private static AttrValue typeOf(NodeDef n) {
        AttrValue t = n.getAttrMap().get("T");
        return t != null ? t : AttrValue.newBuilder().setType(DataType.DT_FLOAT).build();
    }

    /** {@code max(x, 0) + alpha * min(x, 0)}, written as {@code relu(x) + alpha * (x - relu(x))}. */
    private static void prelu(GraphDef.Builder out, String name, String x, String alpha, AttrValue type) {
        String pos = name + "/imgindex_prelu_pos";
        String neg = name + "/imgindex_prelu_neg";
        String scaled = name + "/imgindex_prelu_scaled";
        out.addNode(NodeDef.newBuilder().setName(pos).setOp("Relu").addInput(x).putAttr("T", type));
        out.addNode(NodeDef.newBuilder()
                .setName(neg)
                .setOp("Sub")
                .addInput(x)
                .addInput(pos)
                .putAttr("T", type));
        out.addNode(NodeDef.newBuilder()
                .setName(scaled)
                .setOp("Mul")
                .addInput(alpha)
                .addInput(neg)
                .putAttr("T", type));
        out.addNode(NodeDef.newBuilder()
                .setName(name)
                .setOp("AddV2")
                .addInput(pos)
                .addInput(scaled)
                .putAttr("T", type));
    }
}
