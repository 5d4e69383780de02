package io.imgindex.embed;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.imaging.embed.Devices;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.tensorflow.proto.ConfigProto;

class DevicesTest {

    @Test
    void usesTheGpusFlinkAssignsWithMemoryGrowth() {
        Devices d = EmbedFunction.devices("auto", List.of("1", "3"));
        ConfigProto c = d.configProto(4, 2);

        assertThat(d.usesGpu()).isTrue();
        assertThat(c.getGpuOptions().getVisibleDeviceList()).isEqualTo("1,3");
        assertThat(c.getGpuOptions().getAllowGrowth()).isTrue();
        assertThat(c.getIntraOpParallelismThreads()).isEqualTo(4);
        assertThat(c.getInterOpParallelismThreads()).isEqualTo(2);
        assertThat(c.getDeviceCountMap()).doesNotContainKey("GPU");
        assertThat(d.toString()).isEqualTo("GPU [1, 3], assigned by Flink");
    }

    @Test
    void fallsBackToTheCpuWhenFlinkAssignsNone() {
        Devices d = EmbedFunction.devices("auto", List.of());

        assertThat(d.usesGpu()).isFalse();
        assertThat(d.configProto(0, 0).getDeviceCountMap()).containsEntry("GPU", 0);
        assertThat(d.toString()).isEqualTo("CPU, no GPU assigned by Flink (external resource 'gpu')");
    }

    @Test
    void obeysAnExplicitChoice() {
        assertThat(EmbedFunction.devices("cpu", List.of("0")).usesGpu()).isFalse();
        Devices all = EmbedFunction.devices("gpu", List.of());
        assertThat(all.usesGpu()).isTrue();
        assertThat(all.configProto(0, 0).getGpuOptions().getVisibleDeviceList()).isEmpty();
        assertThat(all.configProto(0, 0).getGpuOptions().getAllowGrowth()).isTrue();
    }
}
