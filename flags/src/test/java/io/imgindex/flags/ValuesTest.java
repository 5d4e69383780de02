package io.imgindex.flags;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The value syntax every command shares: sizes, durations, enums, lists, booleans. */
class ValuesTest {

    enum Mode {
        EXACT,
        APPROXIMATE
    }

    @Test
    void sizesAreBinaryMultiplesAndPrintInTheirLargestExactUnit() {
        assertThat(ByteSize.parse("256mb").getBytes()).isEqualTo(256L << 20);
        assertThat(ByteSize.parse(" 1 GB ").getBytes()).isEqualTo(1L << 30);
        assertThat(ByteSize.parse("3k").getBytes()).isEqualTo(3072);
        assertThat(ByteSize.parse("100").getBytes()).isEqualTo(100);
        assertThat(ByteSize.parse("2 tebibytes").getBytes()).isEqualTo(2L << 40);
        assertThat(ByteSize.parse("256mb")).hasToString("256 mb");
        assertThat(ByteSize.parse("1536kb")).hasToString("1536 kb");
        assertThat(ByteSize.ofBytes(1500)).hasToString("1500 bytes");
        assertThat(ByteSize.ofBytes(0)).hasToString("0 bytes");
        assertThatThrownBy(() -> ByteSize.parse("1.5mb")).hasMessageContaining("size unit '.5mb'");
        assertThatThrownBy(() -> ByteSize.parse("-1")).hasMessageContaining("does not start with a number");
        assertThatThrownBy(() -> ByteSize.parse("99999999999tb")).hasMessageContaining("more bytes than a long");
    }

    @Test
    void durationsTakeFlinksUnitsAndPrintInTheirLargestExactUnit() {
        assertThat(Durations.parse("10s")).isEqualTo(Duration.ofSeconds(10));
        assertThat(Durations.parse("500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(Durations.parse("2 min")).isEqualTo(Duration.ofMinutes(2));
        assertThat(Durations.parse("3m")).isEqualTo(Duration.ofMinutes(3));
        assertThat(Durations.parse("1ns")).isEqualTo(Duration.ofNanos(1));
        assertThat(Durations.parse("1d")).isEqualTo(Duration.ofDays(1));
        assertThat(Durations.parse("250")).isEqualTo(Duration.ofMillis(250));
        assertThat(Durations.format(Duration.ofSeconds(10))).isEqualTo("10 s");
        assertThat(Durations.format(Duration.ofSeconds(90))).isEqualTo("90 s");
        assertThat(Durations.format(Duration.ofMillis(1500))).isEqualTo("1500 ms");
        assertThat(Durations.format(Duration.ofMinutes(2))).isEqualTo("2 min");
        assertThat(Durations.format(Duration.ofDays(1))).isEqualTo("1 d");
        assertThat(Durations.format(Duration.ofNanos(1))).isEqualTo("1 ns");
        assertThat(Durations.format(Duration.ZERO)).isEqualTo("0 ms");
        assertThatThrownBy(() -> Durations.parse("1.5s")).hasMessageContaining("time unit '.5s'");
        assertThatThrownBy(() -> Durations.parse("soon")).hasMessageContaining("does not start with a number");
    }

    @Test
    void parsedSettingsAreTypedAndFallBackToDefaults() {
        Option<Integer> shards = Options.key("shards").intType().defaultValue(4).withDescription("Shards.");
        Option<Mode> mode = Options.key("mode").enumType(Mode.class).defaultValue(Mode.APPROXIMATE);
        Option<List<String>> input = Options.key("input").stringType().asList().noDefaultValue();
        Option<Boolean> quiet = Options.key("quiet").booleanType().defaultValue(false);
        Option<ByteSize> body = Options.key("max-body").memoryType().defaultValue(ByteSize.parse("16mb"));
        List<Option<?>> all = List.of(shards, mode, input, quiet, body);

        Settings s = Flags.parse(new String[] {"--mode", "exact", "--input", "a", "--input=b", "--quiet"}, all)
                .options();
        assertThat(s.get(shards)).isEqualTo(4);
        assertThat(s.contains(shards)).isFalse();
        assertThat(s.get(mode)).isEqualTo(Mode.EXACT);
        assertThat(s.get(input)).containsExactly("a", "b");
        assertThat(s.get(quiet)).isTrue();
        assertThat(s.get(body).getBytes()).isEqualTo(16L << 20);
        assertThat(s.with(shards, 8).get(shards)).isEqualTo(8);
        assertThat(Flags.parse(new String[] {"--no-quiet"}, all).options().get(quiet))
                .isFalse();
        assertThatThrownBy(() -> Flags.parse(new String[] {"--mode", "fast"}, all))
                .isInstanceOf(UsageException.class)
                .hasMessageStartingWith("bad value for --mode: 'fast'");
        assertThat(Flags.help("x", "Does x.", all, Flags.Conf.NONE))
                .contains(
                        "--shards N  (default: 4)",
                        "Shards.",
                        "--max-body SIZE  (default: 16 mb)",
                        "--input PATH  (repeatable)");
    }

    @Test
    void keysAreFlagNames() {
        assertThatThrownBy(() -> Options.key("--x")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> Options.key("a b")).isInstanceOf(IllegalArgumentException.class);
    }
}
