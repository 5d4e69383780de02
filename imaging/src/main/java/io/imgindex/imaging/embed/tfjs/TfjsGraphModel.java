package io.imgindex.imaging.embed.tfjs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.tensorflow.proto.AttrValue;
import org.tensorflow.proto.DataType;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.proto.TensorProto;
import org.tensorflow.proto.TensorShapeProto;
import org.tensorflow.proto.VersionDef;

/**
 * A TensorFlow.js graph model ({@code model.json} with its binary weight shards) turned into a TensorFlow
 * {@link GraphDef}.
 *
 * <p>{@code modelTopology} is a {@code GraphDef} in proto3 JSON whose {@code Const} nodes lost their values to the
 * weight shards; the values are put back, de-quantised ({@code uint8} and {@code uint16} as
 * {@code q * scale + min}, {@code float16} widened), and the TF.js-only fused ops are rewritten into standard
 * ones (see {@link FusedOps}) so that any TensorFlow runtime, CPU or GPU, runs the graph.
 */
public final class TfjsGraphModel {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final JsonNode json;
    private final Path dir;

    private TfjsGraphModel(JsonNode json, Path dir) {
        this.json = json;
        this.dir = dir;
    }

    /**
     * Reads a {@code model.json}; its weight files are looked up next to it.
     *
     * @throws IOException if it is not a TF.js graph model
     */
    public static TfjsGraphModel read(Path modelJson) throws IOException {
        JsonNode json = JSON.readTree(modelJson.toFile());
        String format = json.path("format").asText("");
        if (!json.has("modelTopology") || !json.has("weightsManifest")) {
            throw new IOException(modelJson + " is not a TensorFlow.js model (no modelTopology or weightsManifest)");
        }
        if (!format.isEmpty() && !format.equals("graph-model")) {
            throw new IOException(modelJson + " is a TensorFlow.js " + format + ", not a graph-model: convert"
                    + " layers models with the TF.js converter first");
        }
        return new TfjsGraphModel(json, modelJson.getParent());
    }

    /** The signature recorded by the converter, if any: input and output tensor names. */
    public JsonNode signature() {
        JsonNode top = json.path("signature");
        return top.isObject() ? top : json.path("userDefinedMetadata").path("signature");
    }

    /** The converter that produced the model, for the model card. */
    public String convertedBy() {
        return json.path("convertedBy").asText("") + " "
                + json.path("generatedBy").asText("");
    }

    /**
     * The graph with its weights restored and fused ops rewritten.
     *
     * @throws IOException if a weight file is missing or shorter than the manifest says
     */
    public GraphDef toGraphDef() throws IOException {
        Map<String, TensorProto> weights = readWeights();
        GraphDef.Builder graph = GraphDef.newBuilder();
        JsonNode topology = json.get("modelTopology");
        for (JsonNode n : topology.path("node")) {
            NodeDef.Builder node = NodeDef.newBuilder()
                    .setName(n.get("name").asText())
                    .setOp(n.get("op").asText());
            for (JsonNode input : n.path("input")) {
                node.addInput(input.asText());
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = n.path("attr").fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> a = it.next();
                node.putAttr(a.getKey(), attr(node.getName(), a.getKey(), a.getValue()));
            }
            if (node.getOp().equals("Const")) {
                TensorProto value = weights.remove(node.getName());
                if (value != null) {
                    node.putAttr(
                            "value", AttrValue.newBuilder().setTensor(value).build());
                    node.putAttr(
                            "dtype",
                            AttrValue.newBuilder().setType(value.getDtype()).build());
                } else if (!node.getAttrMap().containsKey("value")
                        || !hasContent(node.getAttrMap().get("value").getTensor())) {
                    throw new IOException("constant " + node.getName() + " has no value in the weights manifest");
                }
            }
            graph.addNode(node);
        }
        if (!weights.isEmpty()) {
            throw new IOException("weights without a constant in the graph: " + weights.keySet());
        }
        JsonNode versions = topology.path("versions");
        graph.setVersions(VersionDef.newBuilder()
                .setProducer(versions.path("producer").asInt(0))
                .build());
        return FusedOps.rewrite(graph.build());
    }

    private static boolean hasContent(TensorProto t) {
        return !t.getTensorContent().isEmpty()
                || t.getFloatValCount() > 0
                || t.getIntValCount() > 0
                || t.getInt64ValCount() > 0
                || t.getBoolValCount() > 0
                || t.getStringValCount() > 0;
    }

    /** Reads every weight group's shards, in order, and cuts them into tensors as the manifest lists them. */
    private Map<String, TensorProto> readWeights() throws IOException {
        Map<String, TensorProto> out = new HashMap<>();
        for (JsonNode group : json.get("weightsManifest")) {
            List<byte[]> shards = new ArrayList<>();
            int total = 0;
            for (JsonNode p : group.get("paths")) {
                Path shard = dir.resolve(p.asText());
                if (!Files.isRegularFile(shard)) {
                    throw new IOException("weight shard " + shard + " is missing");
                }
                byte[] b = Files.readAllBytes(shard);
                shards.add(b);
                total += b.length;
            }
            ByteBuffer data = ByteBuffer.allocate(total).order(ByteOrder.LITTLE_ENDIAN);
            shards.forEach(data::put);
            data.flip();
            for (JsonNode w : group.get("weights")) {
                out.put(w.get("name").asText(), weight(w, data));
            }
        }
        return out;
    }

    private static TensorProto weight(JsonNode w, ByteBuffer data) throws IOException {
        String name = w.get("name").asText();
        String dtype = w.get("dtype").asText();
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        long count = 1;
        for (JsonNode d : w.get("shape")) {
            shape.addDim(TensorShapeProto.Dim.newBuilder().setSize(d.asLong()));
            count *= d.asLong();
        }
        JsonNode q = w.get("quantization");
        String stored = q != null ? q.get("dtype").asText() : dtype;
        int width =
                switch (stored) {
                    case "uint8", "bool" -> 1;
                    case "uint16", "float16" -> 2;
                    case "float32", "int32" -> 4;
                    default -> throw new IOException("weight " + name + " is stored as " + stored + ", not supported");
                };
        if (data.remaining() < count * width) {
            throw new IOException("weight " + name + " needs " + count * width + " bytes, the shards have "
                    + data.remaining() + " left");
        }
        TensorProto.Builder t = TensorProto.newBuilder().setTensorShape(shape);
        ByteBuffer content = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
        switch (dtype) {
            case "float32" -> {
                t.setDtype(DataType.DT_FLOAT);
                for (long i = 0; i < count; i++) {
                    content.putFloat(
                            switch (stored) {
                                case "uint8" -> (data.get() & 0xFF)
                                                * (float) q.get("scale").asDouble()
                                        + (float) q.get("min").asDouble();
                                case "uint16" -> (data.getShort() & 0xFFFF)
                                                * (float) q.get("scale").asDouble()
                                        + (float) q.get("min").asDouble();
                                case "float16" -> halfToFloat(data.getShort());
                                default -> data.getFloat();
                            });
                }
            }
            case "int32" -> {
                t.setDtype(DataType.DT_INT32);
                for (long i = 0; i < count; i++) {
                    content.putInt(
                            switch (stored) {
                                case "uint8" -> Math.round((data.get() & 0xFF)
                                                * (float) q.get("scale").asDouble()
                                        + (float) q.get("min").asDouble());
                                case "uint16" -> Math.round((data.getShort() & 0xFFFF)
                                                * (float) q.get("scale").asDouble()
                                        + (float) q.get("min").asDouble());
                                default -> data.getInt();
                            });
                }
            }
            case "bool" -> {
                t.setDtype(DataType.DT_BOOL);
                for (long i = 0; i < count; i++) {
                    t.addBoolVal(data.get() != 0);
                }
                return t.build();
            }
            default -> throw new IOException("weight " + name + " has dtype " + dtype + ", not supported");
        }
        content.flip();
        return t.setTensorContent(ByteString.copyFrom(content)).build();
    }

    /** IEEE 754 half precision to single precision. */
    static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0) {
            if (mantissa == 0) {
                return Float.intBitsToFloat(sign);
            }
            // Subnormal: normalise it.
            while ((mantissa & 0x400) == 0) {
                mantissa <<= 1;
                exponent--;
            }
            exponent++;
            mantissa &= 0x3FF;
        } else if (exponent == 31) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** One attribute from its proto3 JSON form. */
    static AttrValue attr(String node, String key, JsonNode v) throws IOException {
        AttrValue.Builder a = AttrValue.newBuilder();
        if (v.has("s")) {
            a.setS(ByteString.copyFrom(Base64.getDecoder().decode(v.get("s").asText())));
        } else if (v.has("i")) {
            a.setI(v.get("i").asLong());
        } else if (v.has("f")) {
            a.setF((float) v.get("f").asDouble());
        } else if (v.has("b")) {
            a.setB(v.get("b").asBoolean());
        } else if (v.has("type")) {
            a.setType(DataType.valueOf(v.get("type").asText()));
        } else if (v.has("shape")) {
            a.setShape(shape(v.get("shape")));
        } else if (v.has("tensor")) {
            a.setTensor(tensor(v.get("tensor")));
        } else if (v.has("list")) {
            AttrValue.ListValue.Builder l = AttrValue.ListValue.newBuilder();
            JsonNode list = v.get("list");
            list.path("s")
                    .forEach(s -> l.addS(ByteString.copyFrom(Base64.getDecoder().decode(s.asText()))));
            list.path("i").forEach(i -> l.addI(i.asLong()));
            list.path("f").forEach(f -> l.addF((float) f.asDouble()));
            list.path("b").forEach(b -> l.addB(b.asBoolean()));
            list.path("type").forEach(t -> l.addType(DataType.valueOf(t.asText())));
            for (JsonNode s : list.path("shape")) {
                l.addShape(shape(s));
            }
            a.setList(l);
        } else {
            throw new IOException("node " + node + ": attribute " + key + " of an unsupported kind: " + v);
        }
        return a.build();
    }

    private static TensorShapeProto shape(JsonNode s) {
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        if (s.path("unknownRank").asBoolean(false)) {
            return b.setUnknownRank(true).build();
        }
        for (JsonNode d : s.path("dim")) {
            b.addDim(TensorShapeProto.Dim.newBuilder().setSize(d.path("size").asLong(0)));
        }
        return b.build();
    }

    private static TensorProto tensor(JsonNode t) {
        TensorProto.Builder b = TensorProto.newBuilder();
        if (t.has("dtype")) {
            b.setDtype(DataType.valueOf(t.get("dtype").asText()));
        }
        if (t.has("tensorShape")) {
            b.setTensorShape(shape(t.get("tensorShape")));
        }
        if (t.has("tensorContent")) {
            b.setTensorContent(ByteString.copyFrom(
                    Base64.getDecoder().decode(t.get("tensorContent").asText())));
        }
        t.path("floatVal").forEach(f -> b.addFloatVal((float) f.asDouble()));
        t.path("intVal").forEach(i -> b.addIntVal(i.asInt()));
        t.path("int64Val").forEach(i -> b.addInt64Val(i.asLong()));
        t.path("boolVal").forEach(x -> b.addBoolVal(x.asBoolean()));
        t.path("stringVal")
                .forEach(s ->
                        b.addStringVal(ByteString.copyFrom(Base64.getDecoder().decode(s.asText()))));
        return b.build();
    }
}
