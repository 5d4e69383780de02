package io.imgindex.imaging.decode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class ResizerTest {

    @Test
    void keepsAUniformColourAtAnySize() {
        int[] px = new int[37 * 23];
        Arrays.fill(px, 0x336699);
        for (int[] size : new int[][] {{8, 8}, {37, 23}, {100, 60}, {5, 40}}) {
            byte[] out = Resizer.resize(px, 37, 23, size[0], size[1], Resizer.Mode.SQUASH);
            for (int i = 0; i < out.length; i += 3) {
                assertThat(out[i] & 0xFF).isEqualTo(0x33);
                assertThat(out[i + 1] & 0xFF).isEqualTo(0x66);
                assertThat(out[i + 2] & 0xFF).isEqualTo(0x99);
            }
        }
    }

    @Test
    void averagesTheAreaEachOutputPixelCovers() {
        // 4 x 1: 0, 100, 200, 100 (grey) -> 2 x 1: 50, 150
        int[] px = {grey(0), grey(100), grey(200), grey(100)};
        byte[] out = Resizer.resize(px, 4, 1, 2, 1, Resizer.Mode.SQUASH);
        assertThat(out[0] & 0xFF).isEqualTo(50);
        assertThat(out[3] & 0xFF).isEqualTo(150);
        // 3 -> 2: the middle pixel is split between both outputs
        byte[] thirds = Resizer.resize(new int[] {grey(0), grey(90), grey(180)}, 3, 1, 2, 1, Resizer.Mode.SQUASH);
        assertThat(thirds[0] & 0xFF).isEqualTo(30);
        assertThat(thirds[3] & 0xFF).isEqualTo(150);
    }

    @Test
    void centreCropDropsTheSides() {
        // 4 x 2: black, white, white, black -> 1 x 1 centre crop of the middle 2 x 2 = white
        int[] px = {grey(0), grey(255), grey(255), grey(0), grey(0), grey(255), grey(255), grey(0)};
        assertThat(Resizer.resize(px, 4, 2, 1, 1, Resizer.Mode.CENTER_CROP)[0] & 0xFF)
                .isEqualTo(255);
        assertThat(Resizer.resize(px, 4, 2, 1, 1, Resizer.Mode.SQUASH)[0] & 0xFF)
                .isEqualTo(128);
    }

    private static int grey(int v) {
        return v << 16 | v << 8 | v;
    }
}
