package io.imgindex.imaging.input;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.StringReader;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UrlListParserTest {

    static final URI BASE = URI.create("file:/data/lists/photos.txt");

    static List<InputRecord> parse(String text, UrlListParser.Format format) {
        List<InputRecord> items = new ArrayList<>();
        new UrlListParser(new StringReader(text), BASE, "photos", format).forEachRemaining(items::add);
        return items;
    }

    @Test
    void parsesOneMessageAsJsonOrABareUrl() {
        InputRecord json = UrlListParser.parseMessage(
                "{\"id\": \"p1\", \"url\": \"https://img.example/a.jpg\", \"license\": \"CC0\", \"year\": 1999}",
                "amqp:q#c1");
        assertThat(json.status()).isEqualTo(InputRecord.Status.PENDING);
        assertThat(json.id()).isEqualTo("p1");
        assertThat(json.url()).isEqualTo("https://img.example/a.jpg");
        assertThat(json.metadata()).isEqualTo(Map.of("license", "CC0", "year", "1999"));
        assertThat(json.source()).isEqualTo("amqp:q#c1");

        InputRecord bare = UrlListParser.parseMessage("  https://img.example/b.jpg\n", "amqp:q#c2");
        assertThat(bare.status()).isEqualTo(InputRecord.Status.PENDING);
        assertThat(bare.url()).isEqualTo("https://img.example/b.jpg");
        assertThat(bare.id()).hasSize(32);

        assertThat(UrlListParser.parseMessage("\"https://img.example/c.jpg\"", "s")
                        .url())
                .isEqualTo("https://img.example/c.jpg");
        for (String bad : new String[] {"", "   ", "{not json", "[1, 2]", "{\"id\": \"x\"}", "a b", "x\ny"}) {
            InputRecord failed = UrlListParser.parseMessage(bad, "s");
            assertThat(failed.status()).as(bad).isEqualTo(InputRecord.Status.FAILED);
            assertThat(failed.reason()).as(bad).isEqualTo("BAD_RECORD");
        }
        assertThat(UrlListParser.parseMessage("http://[bad", "s").reason()).isEqualTo("BAD_URL");
    }

    @Test
    void readsPlainListsSkippingBlankAndCommentLines() {
        List<InputRecord> items = parse(
                "# a comment\nhttp://example.com/a.jpg\n\n   \n  # indented comment\r\n"
                        + "https://example.com/b.png\r\nimages/c.jpg",
                UrlListParser.Format.TEXT);

        assertThat(items)
                .extracting(i -> i.status())
                .containsExactly(
                        InputRecord.Status.SKIPPED,
                        InputRecord.Status.PENDING,
                        InputRecord.Status.SKIPPED,
                        InputRecord.Status.SKIPPED,
                        InputRecord.Status.SKIPPED,
                        InputRecord.Status.PENDING,
                        InputRecord.Status.PENDING);
        assertThat(items)
                .extracting(i -> i.reason())
                .containsExactly("COMMENT", null, "BLANK", "BLANK", "COMMENT", null, null);
        assertThat(items.get(1).url()).isEqualTo("http://example.com/a.jpg");
        assertThat(items.get(1).source()).isEqualTo("photos:2");
        assertThat(items.get(5).source()).isEqualTo("photos:6");
        assertThat(items.get(6).url()).isEqualTo("file:/data/lists/images/c.jpg");
    }

    @Test
    void derivesIdsFromTheResolvedUrl() {
        InputRecord item =
                parse("http://example.com/a.jpg", UrlListParser.Format.TEXT).get(0);

        assertThat(item.id()).hasSize(32).matches("[0-9a-f]{32}");
        assertThat(item.id()).isEqualTo(ItemIds.fromUrl("http://example.com/a.jpg"));
        // sha256("http://example.com/a.jpg"), first 16 bytes: pinned so a change to the rule is noticed.
        assertThat(item.id())
                .isEqualTo(io.imgindex.format.Sha256.hex("http://example.com/a.jpg".getBytes())
                        .substring(0, 32));
    }

    @Test
    void readsCsvWithIdsMetadataAndQuotes() {
        String csv = "# header follows\nid,URL,title,price,empty\n"
                + "a1,http://example.com/a.jpg,\"Boats, at dawn\",12.5,\n"
                + "a2,images/b.jpg,\"He said \"\"hi\"\"\",3,\n"
                + ",http://example.com/c.jpg,\"two\nlines\",,\n"
                + "a4,http://example.com/d.jpg\n";
        List<InputRecord> items = parse(csv, UrlListParser.Format.CSV);

        assertThat(items).hasSize(5);
        InputRecord a1 = items.get(1);
        assertThat(a1.id()).isEqualTo("a1");
        assertThat(a1.metadata()).isEqualTo(Map.of("title", "Boats, at dawn", "price", "12.5"));
        assertThat(a1.source()).isEqualTo("photos:3");
        assertThat(items.get(2).url()).isEqualTo("file:/data/lists/images/b.jpg");
        assertThat(items.get(2).metadata().get("title")).isEqualTo("He said \"hi\"");
        InputRecord c = items.get(3);
        assertThat(c.id()).isEqualTo(ItemIds.fromUrl("http://example.com/c.jpg"));
        assertThat(c.metadata().get("title")).isEqualTo("two\nlines");
        assertThat(items.get(4).status()).isEqualTo(InputRecord.Status.PENDING);
        assertThat(items.get(4).source()).isEqualTo("photos:7");
    }

    @Test
    void turnsBadCsvRecordsIntoFailures() {
        String csv = "id,url\nx,\"unterminated\ny,http://example.com/y.jpg,extra\n";
        List<InputRecord> items = parse(csv, UrlListParser.Format.CSV);

        assertThat(items).hasSize(1);
        assertThat(items.get(0).status()).isEqualTo(InputRecord.Status.FAILED);
        assertThat(items.get(0).reason()).isEqualTo("BAD_RECORD");
        assertThat(items.get(0).message()).contains("unterminated");

        List<InputRecord> extra = parse("id,url\ny,http://example.com/y.jpg,extra\nz,\n", UrlListParser.Format.CSV);
        assertThat(extra).extracting(i -> i.reason()).containsExactly("BAD_RECORD", "BAD_RECORD");
        assertThat(extra.get(0).message()).contains("3 fields");
        assertThat(extra.get(1).message()).contains("empty url");
    }

    @Test
    void failsEveryRecordOfACsvWithoutUrlColumn() {
        List<InputRecord> items =
                parse("id,link\na,http://example.com/a.jpg\nb,http://example.com/b.jpg\n", UrlListParser.Format.CSV);

        assertThat(items).extracting(i -> i.reason()).containsExactly("BAD_RECORD", "BAD_RECORD");
        assertThat(items.get(0).message()).contains("no url column");
    }

    @Test
    void readsJsonLines() {
        String jsonl = "{\"id\":\"p1\",\"url\":\"http://example.com/a.jpg\",\"tags\":[\"x\"],\"n\":3,\"none\":null}\n"
                + "\"http://example.com/bare.jpg\"\n"
                + "{\"id\":42,\"url\":\"b.jpg\",\"title\":\"ok\"}\n"
                + "{\"url\": 5}\n"
                + "{not json\n"
                + "[1,2]\n";
        List<InputRecord> items = parse(jsonl, UrlListParser.Format.JSONL);

        assertThat(items.get(0).id()).isEqualTo("p1");
        assertThat(items.get(0).metadata()).isEqualTo(Map.of("tags", "[\"x\"]", "n", "3"));
        assertThat(items.get(1).url()).isEqualTo("http://example.com/bare.jpg");
        assertThat(items.get(2).id()).isEqualTo("42");
        assertThat(items.get(2).url()).isEqualTo("file:/data/lists/b.jpg");
        assertThat(items.subList(3, 6)).extracting(i -> i.reason()).containsOnly("BAD_RECORD");
        assertThat(items.get(4).message()).contains("not valid JSON");
    }

    @Test
    void rejectsBadUrlsAndIds() {
        List<InputRecord> items = parse(
                "id,url\nok,http://exa mple.com/a.jpg\n\"bad\tid\",http://example.com/b.jpg\n",
                UrlListParser.Format.CSV);

        assertThat(items.get(0).reason()).isEqualTo("BAD_URL");
        assertThat(items.get(0).id()).isEqualTo("ok");
        assertThat(items.get(1).reason()).isEqualTo("BAD_RECORD");
        assertThat(items.get(1).message()).contains("control character");
    }

    @Test
    void capsOverlongLines() {
        String line = "http://example.com/" + "a".repeat(UrlListParser.MAX_LINE_CHARS + 10);
        List<InputRecord> items = parse(line + "\nhttp://example.com/next.jpg\n", UrlListParser.Format.TEXT);

        assertThat(items).extracting(i -> i.reason()).containsExactly("BAD_RECORD", null);
        assertThat(items.get(0).url().length()).isLessThan(4096);
    }

    @Test
    void stripsAByteOrderMark() {
        assertThat(parse("\uFEFFid,url\na,http://example.com/a.jpg\n", UrlListParser.Format.CSV)
                        .get(0)
                        .id())
                .isEqualTo("a");
    }

    @Test
    void choosesTheFormatByFileName() {
        assertThat(UrlListParser.Format.ofFileName("x.CSV")).isEqualTo(UrlListParser.Format.CSV);
        assertThat(UrlListParser.Format.ofFileName("x.csv.gz")).isEqualTo(UrlListParser.Format.CSV);
        assertThat(UrlListParser.Format.ofFileName("x.ndjson")).isEqualTo(UrlListParser.Format.JSONL);
        assertThat(UrlListParser.Format.ofFileName("x.jsonl.gz")).isEqualTo(UrlListParser.Format.JSONL);
        assertThat(UrlListParser.Format.ofFileName("urls.txt")).isEqualTo(UrlListParser.Format.TEXT);
        assertThat(UrlListParser.Format.ofFileName("urls")).isEqualTo(UrlListParser.Format.TEXT);
    }

    @Test
    void metadataIsBoundedPerRecord() {
        StringBuilder wide = new StringBuilder("{\"url\": \"https://img.example/w.jpg\"");
        for (int i = 0; i < UrlListParser.MAX_METADATA_MEMBERS + 1; i++) {
            wide.append(", \"m").append(i).append("\": ").append(i);
        }
        wide.append('}');
        String big = "{\"url\": \"big.jpg\", \"id\": \"b1\", \"caption\": \"" + "é".repeat(2_049) + "\"}";
        String longName = "url," + "n".repeat(200) + "\nhttps://img.example/n.jpg,x\n";
        List<InputRecord> json = parse(wide + "\n" + big + "\n", UrlListParser.Format.JSONL);
        List<InputRecord> csv = parse(longName, UrlListParser.Format.CSV);

        assertThat(json.get(0).reason()).isEqualTo("BAD_RECORD");
        assertThat(json.get(0).message()).contains("65 metadata members; at most 64");
        assertThat(json.get(1).reason()).isEqualTo("BAD_RECORD");
        assertThat(json.get(1).message()).contains("metadata 'caption' is 4098 bytes; at most 4096");
        // Accounted for under its own id and resolved URL, without the metadata it was refused for.
        assertThat(json.get(1).id()).isEqualTo("b1");
        assertThat(json.get(1).url()).isEqualTo("file:/data/lists/big.jpg");
        assertThat(json.get(1).metadata()).isEmpty();
        assertThat(csv).singleElement().satisfies(i -> {
            assertThat(i.reason()).isEqualTo("BAD_RECORD");
            assertThat(i.message()).contains("has 200 characters; at most 128");
        });
        // At the limits, accepted.
        String fits = "{\"url\": \"https://img.example/f.jpg\", \"caption\": \"" + "é".repeat(2_048) + "\"}";
        assertThat(parse(fits, UrlListParser.Format.JSONL).get(0).status()).isEqualTo(InputRecord.Status.PENDING);
    }
}
