package io.imgindex.imaging.input;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.StringReader;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Seeded random lists and queue messages for the parser, for a bounded time (2 s, at least 300 cases; set
 * {@code -Dimgindex.fuzz.seconds} and {@code -Dimgindex.fuzz.seed} to run longer or replay): it never throws, every
 * record it returns is pending with a URL and an id, skipped with its kind, or failed with a reason, and a text or
 * JSON-lines list gives exactly one record per line. A failure names the case's seed.
 */
class UrlListParserFuzzTest {

    static final long SEED = Long.getLong("imgindex.fuzz.seed", 20261207L);
    static final long SECONDS = Long.getLong("imgindex.fuzz.seconds", 2L);

    /** Pieces that make the parser take its less common paths. */
    static final String[] PIECES = {
        "http://a.example/x.jpg",
        "https://b.example/p?q=1#f",
        "s3a://bucket/k.png",
        "file:/tmp/x",
        "ftp://x/",
        "//host/rel.jpg",
        "../up.jpg",
        "img.jpg",
        "%zz",
        "%",
        "http://[::1]:99999/",
        "http://",
        "javascript:alert(1)",
        "\"",
        "\"\"",
        ",",
        ";",
        "{",
        "}",
        "[",
        "]",
        ":",
        "\\",
        "\\u0000",
        "\u0000",
        "#",
        " ",
        "\t",
        "url",
        "id",
        "{\"url\":\"http://a.example/j.jpg\",\"id\":\"j\",\"m\":[1,{\"x\":null}]}",
        "{\"url\":1}",
        "{\"id\":\"x\"}",
        "null",
        "true",
        "1e999",
        "-0",
        "\"http://q.example/s.jpg\"",
        "url,id,colour",
        "id,url",
        "\"a,b\",c",
        "\"unterminated",
        "é",
        "漢字",
        "\uD83D\uDE00",
        "\uD800",
        "\uFFFF",
        "\u202E",
        "x".repeat(3000),
        "{".repeat(200),
        "[".repeat(200) + "]".repeat(200),
    };

    static String generate(Random r, boolean withCarriageReturns) {
        StringBuilder s = new StringBuilder();
        int lines = r.nextInt(12);
        for (int l = 0; l < lines; l++) {
            int parts = r.nextInt(6);
            for (int p = 0; p < parts; p++) {
                if (r.nextInt(4) == 0) {
                    char c = (char) r.nextInt(0x10000);
                    if (c == '\n' || c == '\r' || c == '\u0085' || c == '\u2028' || c == '\u2029') {
                        c = '?';
                    }
                    s.append(c);
                } else {
                    s.append(PIECES[r.nextInt(PIECES.length)]);
                }
            }
            if (l < lines - 1 || r.nextBoolean()) {
                s.append(withCarriageReturns && r.nextInt(3) == 0 ? "\r\n" : "\n");
            }
        }
        return s.toString();
    }

    static int lines(String text) {
        if (text.isEmpty()) {
            return 0;
        }
        int n = text.split("\n", -1).length;
        return text.endsWith("\n") ? n - 1 : n;
    }

    static void checkRecord(InputRecord item, String what) {
        assertThat(item.status())
                .as(what)
                .isIn(InputRecord.Status.PENDING, InputRecord.Status.SKIPPED, InputRecord.Status.FAILED);
        if (item.status() == InputRecord.Status.PENDING) {
            assertThat(item.url()).as(what).isNotBlank();
            assertThat(item.id()).as(what).isNotBlank();
        } else {
            assertThat(item.reason()).as(what).isNotBlank();
        }
    }

    @Test
    void neverThrowsAndAccountsForEveryLine() {
        Random seeds = new Random(SEED);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
        int cases = 0;
        while (System.nanoTime() < deadline || cases < 300) {
            long seed = seeds.nextLong();
            Random r = new Random(seed);
            UrlListParser.Format format = UrlListParser.Format.values()[r.nextInt(3)];
            String text = generate(r, format == UrlListParser.Format.CSV);
            String what = "case seed " + seed + " (" + format + ")";
            List<InputRecord> items = new ArrayList<>();
            try {
                new UrlListParser(new StringReader(text), URI.create("file:/data/lists/l.txt"), "l", format)
                        .forEachRemaining(items::add);
                InputRecord message = UrlListParser.parseMessage(text, "amqp:q#" + seed);
                checkRecord(message, what + ", as a message");
                assertThat(message.status()).as(what).isNotEqualTo(InputRecord.Status.SKIPPED);
            } catch (RuntimeException | Error e) {
                fail(what + " threw: " + e, e);
            }
            items.forEach(i -> checkRecord(i, what));
            if (format != UrlListParser.Format.CSV) {
                assertThat(items).as(what + ": one record per line").hasSize(lines(text));
            }
            cases++;
        }
        System.out.printf("URL-list parser fuzz: %d cases from seed %d, none threw%n", cases, SEED);
    }
}
