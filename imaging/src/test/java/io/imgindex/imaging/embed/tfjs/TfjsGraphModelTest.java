package io.imgindex.imaging.embed.tfjs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tensorflow.Graph;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.proto.GraphDef;
import org.tensorflow.proto.NodeDef;
import org.tensorflow.types.TFloat32;

/**
 * A small hand-written TF.js graph model, converted and run by TensorFlow: weights stored as uint8, uint16,
 * float16 and float32 must come back as the manifest says, and the fused ops must compute what they fuse.
 */
class TfjsGraphModelTest {

    @TempDir
    Path dir;

    /**
     * y = prelu(x · W + b, alpha) and z = relu6(depthwise(image, k) + c), with W quantised to uint8, b stored as
     * float16, alpha as uint16, k and c as float32.
     */
    static final String MODEL =
            """
            {"format": "graph-model", "generatedBy": "test", "convertedBy": "hand",
             "modelTopology": {"versions": {"producer": 1}, "node": [
              {"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"},
               "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "2"}]}}}},
              {"name": "W", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor":
               {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "2"}, {"size": "3"}]}}}}},
              {"name": "b", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor":
               {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "3"}]}}}}},
              {"name": "alpha", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor":
               {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "3"}]}}}}},
              {"name": "y", "op": "_FusedMatMul", "input": ["x", "W", "b", "alpha"], "attr": {
               "T": {"type": "DT_FLOAT"}, "transpose_a": {"b": false}, "transpose_b": {"b": false},
               "num_args": {"i": "2"}, "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UHJlbHU="]}}}},
              {"name": "image", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"},
               "shape": {"shape": {"dim": [{"size": "-1"}, {"size": "1"}, {"size": "2"}, {"size": "1"}]}}}},
              {"name": "k", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor":
               {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "1"}, {"size": "1"}, {"size": "1"},
               {"size": "1"}]}}}}},
              {"name": "c", "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}, "value": {"tensor":
               {"dtype": "DT_FLOAT", "tensorShape": {"dim": [{"size": "1"}]}}}}},
              {"name": "z", "op": "FusedDepthwiseConv2dNative", "input": ["image", "k", "c"], "device": "/device:CPU:0",
               "attr": {"T": {"type": "DT_FLOAT"}, "strides": {"list": {"i": ["1", "1", "1", "1"]}},
               "padding": {"s": "VkFMSUQ="}, "data_format": {"s": "TkhXQw=="},
               "dilations": {"list": {"i": ["1", "1", "1", "1"]}},
               "num_args": {"i": "1"}, "fused_ops": {"list": {"s": ["Qmlhc0FkZA==", "UmVsdTY="]}}}}
             ]},
             "weightsManifest": [{"paths": ["group1-shard1of1.bin"], "weights": [
              {"name": "W", "shape": [2, 3], "dtype": "float32",
               "quantization": {"dtype": "uint8", "min": -1.0, "scale": 0.5}},
              {"name": "b", "shape": [3], "dtype": "float32", "quantization": {"dtype": "float16"}},
              {"name": "alpha", "shape": [3], "dtype": "float32",
               "quantization": {"dtype": "uint16", "min": 0.0, "scale": 0.25}},
              {"name": "k", "shape": [1, 1, 1, 1], "dtype": "float32"},
              {"name": "c", "shape": [1], "dtype": "float32"}
             ]}]}
            """;

    Path write() throws IOException {
        ByteBuffer w = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        // W = [[-1, -0.5, 0], [0.5, 1, 1.5]] as uint8 q with q * 0.5 - 1
        for (int q : new int[] {0, 1, 2, 3, 4, 5}) {
            w.put((byte) q);
        }
        // b = [0.5, -2, 1] as float16
        for (short h : new short[] {0x3800, (short) 0xC000, 0x3C00}) {
            w.putShort(h);
        }
        // alpha = [0.25, 0.5, 0.75] as uint16 q with q * 0.25
        for (int q : new int[] {1, 2, 3}) {
            w.putShort((short) q);
        }
        w.putFloat(3f); // k
        w.putFloat(-1f); // c
        Files.write(dir.resolve("group1-shard1of1.bin"), java.util.Arrays.copyOf(w.array(), w.position()));
        Path json = dir.resolve("model.json");
        Files.writeString(json, MODEL);
        return json;
    }

    @Test
    void restoresWeightsAndExpandsFusedOps() throws IOException {
        GraphDef graph = TfjsGraphModel.read(write()).toGraphDef();

        assertThat(graph.getNodeList())
                .extracting(NodeDef::getOp)
                .doesNotContain("_FusedMatMul", "FusedDepthwiseConv2dNative")
                .contains("MatMul", "BiasAdd", "DepthwiseConv2dNative", "Relu6");
        assertThat(graph.getNodeList())
                .allSatisfy(n -> assertThat(n.getDevice()).isEmpty());
        try (Graph g = new Graph();
                Session s = new Session(g)) {
            g.importGraphDef(graph);
            // x = [1, 2]: x·W = [0, 1.5, 3]; + b = [0.5, -0.5, 4]; prelu: [0.5, -0.25, 4]
            try (TFloat32 x = TFloat32.tensorOf(Shape.of(1, 2), DataBuffers.of(new float[] {1, 2}, true, false));
                    TFloat32 image =
                            TFloat32.tensorOf(Shape.of(1, 1, 2, 1), DataBuffers.of(new float[] {1, 3}, true, false));
                    var result = s.runner()
                            .feed("x", x)
                            .feed("image", image)
                            .fetch("y")
                            .fetch("z")
                            .run()) {
                float[] y = new float[3];
                ((TFloat32) result.get(0)).copyTo(DataBuffers.of(y, false, false));
                assertThat(y).containsExactly(0.5f, -0.25f, 4f);
                // image · 3 - 1 = [2, 8]; relu6: [2, 6]
                float[] z = new float[2];
                ((TFloat32) result.get(1)).copyTo(DataBuffers.of(z, false, false));
                assertThat(z).containsExactly(2f, 6f);
            }
        }
    }

    @Test
    void refusesWeightFilesThatAreTooShort() throws IOException {
        Path json = write();
        Files.write(dir.resolve("group1-shard1of1.bin"), new byte[] {1, 2, 3});

        assertThatThrownBy(() -> TfjsGraphModel.read(json).toGraphDef()).hasMessageContaining("needs 6 bytes");
    }

    @Test
    void widensHalfPrecision() {
        assertThat(TfjsGraphModel.halfToFloat((short) 0x3C00)).isEqualTo(1f);
        assertThat(TfjsGraphModel.halfToFloat((short) 0xC000)).isEqualTo(-2f);
        assertThat(TfjsGraphModel.halfToFloat((short) 0x7BFF)).isEqualTo(65504f);
        assertThat(TfjsGraphModel.halfToFloat((short) 0x0001)).isEqualTo((float) Math.pow(2, -24));
        assertThat(TfjsGraphModel.halfToFloat((short) 0x7C00)).isEqualTo(Float.POSITIVE_INFINITY);
        assertThat(TfjsGraphModel.halfToFloat((short) 0x7E00)).isNaN();
        assertThat(Float.floatToIntBits(TfjsGraphModel.halfToFloat((short) 0x8000)))
                .isEqualTo(0x80000000);
    }

    @Test
    void untarRefusesEntriesOutsideTheFolder() throws IOException {
        Path tgz = dir.resolve("evil.tgz");
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        byte[] header = new byte[512];
        byte[] name = "../escape.txt".getBytes();
        System.arraycopy(name, 0, header, 0, name.length);
        byte[] size = String.format("%011o", 2).getBytes();
        System.arraycopy(size, 0, header, 124, size.length);
        header[156] = '0';
        tar.writeBytes(header);
        tar.writeBytes(java.util.Arrays.copyOf("hi".getBytes(), 512));
        tar.writeBytes(new byte[1024]);
        try (GZIPOutputStream gz = new GZIPOutputStream(Files.newOutputStream(tgz))) {
            gz.write(tar.toByteArray());
        }

        assertThatThrownBy(() -> NpmPackages.untar(tgz, dir.resolve("out"))).hasMessageContaining("outside");
        assertThat(dir.resolve("escape.txt")).doesNotExist();
    }
}
