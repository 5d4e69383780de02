package io.imgindex.imaging.embed;

import java.io.Serializable;
import java.util.List;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.proto.GPUOptions;

/**
 * Where a model runs: on the CPU, or on the given GPUs with memory growth on (TensorFlow takes GPU memory as it
 * needs it instead of the whole card, so other processes and slots can share it).
 *
 * @param gpus the GPU indexes to use (CUDA device numbers); empty for the CPU
 * @param reason why, for the log line
 */
public record Devices(List<String> gpus, String reason) implements Serializable {

    private static final long serialVersionUID = 1L;

    public Devices {
        gpus = List.copyOf(gpus);
    }

    /** The CPU only. */
    public static Devices cpu(String reason) {
        return new Devices(List.of(), reason);
    }

    /** These GPUs. */
    public static Devices gpus(List<String> indexes, String reason) {
        return new Devices(indexes, reason);
    }

    /** Every GPU TensorFlow sees (an empty list of indexes with GPUs allowed means all of them). */
    public static Devices allGpus(String reason) {
        return new Devices(List.of("*"), reason);
    }

    public boolean usesGpu() {
        return !gpus.isEmpty();
    }

    /** The session settings: threads, and the device choice. */
    public ConfigProto configProto(int intraOpThreads, int interOpThreads) {
        ConfigProto.Builder c = ConfigProto.newBuilder()
                .setIntraOpParallelismThreads(intraOpThreads)
                .setInterOpParallelismThreads(interOpThreads)
                .setAllowSoftPlacement(true);
        if (!usesGpu()) {
            return c.putDeviceCount("GPU", 0).build();
        }
        GPUOptions.Builder gpu = GPUOptions.newBuilder().setAllowGrowth(true);
        if (!gpus.equals(List.of("*"))) {
            gpu.setVisibleDeviceList(String.join(",", gpus));
        }
        return c.setGpuOptions(gpu).build();
    }

    @Override
    public String toString() {
        return usesGpu()
                ? "GPU " + (gpus.equals(List.of("*")) ? "(all visible)" : gpus) + ", " + reason
                : "CPU, " + reason;
    }
}
