package io.imgindex.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.imgindex.flags.ByteSize;
import io.imgindex.flags.Flags;
import io.imgindex.flags.UsageException;
import io.imgindex.job.IndexOptions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class FlagsTest {

    static Flags.Parsed parse(String... args) {
        return Flags.parse(args, IndexOptions.ALL);
    }

    @Test
    void readsValuesInBothSpellings() {
        Flags.Parsed p = parse(
                "--input",
                "a.txt",
                "--input=b.csv",
                "--shards",
                "8",
                "--fetch.read-timeout=3s",
                "--fetch.max-bytes",
                "5mb",
                "--allow-private-networks",
                "--conf",
                "s3.endpoint=http://x:9000");

        assertThat(p.options().get(IndexOptions.INPUT)).containsExactly("a.txt", "b.csv");
        assertThat(p.options().get(IndexOptions.SHARDS)).isEqualTo(8);
        assertThat(p.options().get(IndexOptions.FETCH_READ_TIMEOUT)).isEqualTo(Duration.ofSeconds(3));
        assertThat(p.options().get(IndexOptions.FETCH_MAX_BYTES)).isEqualTo(ByteSize.parse("5mb"));
        assertThat(p.options().get(IndexOptions.ALLOW_PRIVATE_NETWORKS)).isTrue();
        assertThat(p.flinkConf()).containsEntry("s3.endpoint", "http://x:9000");
        assertThat(p.help()).isFalse();
    }

    @Test
    void namesTheFlagThatIsWrong() {
        assertThatThrownBy(() -> parse("--inptu", "a"))
                .isInstanceOf(UsageException.class)
                .hasMessage("unknown flag --inptu (see --help)");
        assertThatThrownBy(() -> parse("--shards", "four"))
                .isInstanceOf(UsageException.class)
                .hasMessage("bad value for --shards: 'four' (expected a whole number)");
        assertThatThrownBy(() -> parse("--fetch.read-timeout", "soon"))
                .hasMessageStartingWith("bad value for --fetch.read-timeout: 'soon'");
        assertThatThrownBy(() -> parse("--input")).hasMessage("flag --input needs a value");
        assertThatThrownBy(() -> parse("--output", "--shards", "2")).hasMessage("flag --output needs a value");
        assertThatThrownBy(() -> parse("--allow-private-networks=yes"))
                .hasMessageStartingWith("--allow-private-networks takes no value");
        assertThatThrownBy(() -> parse("list.txt")).hasMessageStartingWith("unexpected argument 'list.txt'");
        assertThatThrownBy(() -> parse("--shards", "2", "--shards", "3"))
                .hasMessage("--shards is given more than once");
        assertThatThrownBy(() -> parse("--conf", "novalue")).hasMessageStartingWith("--conf needs KEY=VALUE");
    }

    @Test
    void helpListsEveryOptionWithItsDefault() {
        String help = Flags.help("imgindex index ...", "Indexes.", IndexOptions.ALL, Flags.Conf.FLINK);

        for (var o : IndexOptions.ALL) {
            assertThat(help).contains("--" + o.key());
        }
        assertThat(help).contains("--shards N  (default: 4)");
        assertThat(help).contains("--input PATH  (repeatable)");
        assertThat(help).contains("--fetch.connect-timeout DURATION  (default: 5 s)");
        assertThat(help).doesNotContain("Description@");
        assertThat(help).contains("Number of shards the index table is split into (1..4096).");
        assertThat(parse("--help").help()).isTrue();
    }

    @Test
    void booleansAreBareFlagsWithANegatedForm() {
        assertThat(parse("--near-dup=false").options().get(IndexOptions.NEAR_DUP))
                .isFalse();
        assertThat(parse("--no-near-dup").options().get(IndexOptions.NEAR_DUP)).isFalse();
        assertThat(parse("--near-dup").options().get(IndexOptions.NEAR_DUP)).isTrue();
        assertThat(parse().options().get(IndexOptions.NEAR_DUP)).isTrue();
        // A value after a bare flag is refused with what works, not read as a stray argument.
        assertThatThrownBy(() -> parse("--near-dup", "false"))
                .isInstanceOf(UsageException.class)
                .hasMessage("--near-dup takes no value: write --near-dup, --near-dup=false or --no-near-dup");
        assertThatThrownBy(() -> parse("--near-dup", "--no-near-dup")).hasMessage("--near-dup is given more than once");
        assertThatThrownBy(() -> parse("--no-shards")).hasMessage("unknown flag --no-shards (see --help)");
        assertThat(Flags.help("imgindex index ...", "Indexes.", IndexOptions.ALL, Flags.Conf.FLINK))
                .contains("--near-dup | --no-near-dup  (default: true)");
    }

    @Test
    void confIsTakenOnlyWhereItMeansSomething() {
        assertThatThrownBy(() -> Flags.parse(new String[] {"--conf", "a=b"}, IndexOptions.ALL, Flags.Conf.NONE))
                .hasMessage("unknown flag --conf (see --help)");
        assertThatThrownBy(() -> Flags.parse(
                        new String[] {"--conf", "taskmanager.memory.process.size=4g"}, IndexOptions.ALL, Flags.Conf.S3))
                .hasMessageStartingWith("--conf takes S3 settings only here");
        assertThat(Flags.parse(new String[] {"--conf", "s3.endpoint=http://x:9000"}, IndexOptions.ALL, Flags.Conf.S3)
                        .flinkConf())
                .containsEntry("s3.endpoint", "http://x:9000");
        assertThat(Flags.help("u", "s", IndexOptions.ALL, Flags.Conf.NONE)).doesNotContain("--conf KEY=VALUE");
        assertThat(Flags.help("u", "s", IndexOptions.ALL, Flags.Conf.FLINK))
                .contains("IMGINDEX_JAVA_OPTS")
                .doesNotContain("taskmanager.memory.process.size");
    }

    @Test
    void listOptionsKeepCommasInsideValues() {
        assertThat(parse("--input", "a,b.txt").options().get(IndexOptions.INPUT))
                .isEqualTo(List.of("a,b.txt"));
    }
}
