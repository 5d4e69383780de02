package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.server.http.ApiContext;
import io.imgindex.server.load.ServedIndex;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpMethod;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random search requests against the real handlers over a served index, for a bounded time (3 s, at least
 * 300 cases; {@code -Dimgindex.fuzz.seconds} and {@code -Dimgindex.fuzz.seed} run longer or replay): queries built
 * field by field from valid and hostile values, then, one time in three, mutated byte by byte. Each is answered 200
 * or refused with a 4xx and a JSON error; never a 500, never no answer. A failure names the case's seed.
 */
class QueryFuzzTest {

    static final long SEED = Long.getLong("imgindex.fuzz.seed", 20261207L);
    static final long SECONDS = Long.getLong("imgindex.fuzz.seconds", 3L);
    static final Set<Integer> ANSWERS = Set.of(200, 400, 404, 405, 413, 415, 422);

    @TempDir
    Path dir;

    static final String[] NUMBERS = {
        "0",
        "1",
        "-1",
        "10",
        "1000",
        "1001",
        "2147483648",
        "-2147483649",
        "1e308",
        "1e999",
        "-0.0",
        "0.5",
        "3.0",
        "\"10\"",
        "\"NaN\"",
        "null",
        "true",
        "[]",
        "{}",
        "1" + "0".repeat(70)
    };
    static final String[] TEXTS = {"\"exact\"", "\"approximate\"", "\"fast\"", "\"\"", "null", "7", "\"\\u0000\""};
    static final String[] KEYS = {"colour", "price", "size", "", "\\ud800", "__proto__"};
    static final String[] OPS = {"eq", "in", "gt", "gte", "lt", "lte", "ne", "and", "or", "not", ""};

    static final String[] GOOD_NUMBERS = {"1", "3", "10", "50", "100"};
    static final String[] GOOD_TEXTS = {"\"exact\"", "\"approximate\""};
    static final String[] GOOD_KEYS = {"colour", "price"};
    static final String[] GOOD_OPS = {"eq", "in", "gt", "gte", "lt", "lte"};

    static String pick(Random r, String[] options) {
        return options[r.nextInt(options.length)];
    }

    /** Mostly a valid value (so that searches run, with their filters), else any. */
    static String likely(Random r, String[] good, String[] any) {
        return r.nextInt(10) < 7 ? pick(r, good) : pick(r, any);
    }

    static String vector(Random r) {
        int n =
                switch (r.nextInt(6)) {
                    case 0 -> r.nextInt(4);
                    case 1 -> ThumbnailDim.DIM + r.nextInt(3) - 1;
                    case 2 -> 1_000 + r.nextInt(200);
                    default -> ThumbnailDim.DIM;
                };
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            s.append(i == 0 ? "" : ",");
            s.append(r.nextInt(2_000) == 0 ? pick(r, NUMBERS) : Float.toString((float) r.nextGaussian()));
        }
        return s.append(']').toString();
    }

    static String filter(Random r) {
        StringBuilder s = new StringBuilder("{");
        int keys = r.nextInt(4);
        for (int i = 0; i < keys; i++) {
            s.append(i == 0 ? "" : ",")
                    .append('"')
                    .append(likely(r, GOOD_KEYS, KEYS))
                    .append("\":");
            switch (r.nextInt(4)) {
                case 0 -> s.append(pick(r, TEXTS));
                case 1 -> s.append(pick(r, NUMBERS));
                default -> {
                    s.append("{\"").append(likely(r, GOOD_OPS, OPS)).append("\":");
                    if (r.nextBoolean()) {
                        s.append('[');
                        int n = r.nextInt(8) == 0 ? 1_000 + r.nextInt(100) : r.nextInt(4);
                        for (int j = 0; j < n; j++) {
                            s.append(j == 0 ? "" : ",").append(r.nextBoolean() ? "\"red\"" : pick(r, NUMBERS));
                        }
                        s.append(']');
                    } else {
                        s.append(r.nextBoolean() ? likely(r, GOOD_NUMBERS, NUMBERS) : pick(r, TEXTS));
                    }
                    s.append('}');
                }
            }
        }
        return s.append('}').toString();
    }

    static String query(Random r) {
        StringBuilder s = new StringBuilder("{");
        if (r.nextInt(20) > 0) {
            s.append("\"vector\":").append(vector(r));
        } else {
            s.append("\"vector\":").append(pick(r, NUMBERS));
        }
        if (r.nextBoolean()) {
            s.append(",\"k\":").append(likely(r, GOOD_NUMBERS, NUMBERS));
        }
        if (r.nextBoolean()) {
            s.append(",\"mode\":").append(likely(r, GOOD_TEXTS, TEXTS));
        }
        if (r.nextInt(3) == 0) {
            s.append(",\"ef\":").append(likely(r, new String[] {"100", "200"}, NUMBERS));
        }
        if (r.nextBoolean()) {
            s.append(",\"filter\":").append(r.nextInt(5) == 0 ? pick(r, TEXTS) : filter(r));
        }
        if (r.nextInt(4) == 0) {
            s.append(",\"include_duplicates\":").append(r.nextBoolean() ? "true" : pick(r, NUMBERS));
        }
        if (r.nextInt(4) == 0) {
            s.append(",\"exclude_id\":").append(r.nextBoolean() ? "\"id-1\"" : pick(r, NUMBERS));
        }
        if (r.nextInt(8) == 0) {
            s.append(",\"").append(pick(r, KEYS)).append("\":1");
        }
        return s.append('}').toString();
    }

    static String mutate(Random r, String text) {
        StringBuilder s = new StringBuilder(text);
        int edits = 1 + r.nextInt(4);
        for (int i = 0; i < edits && s.length() > 0; i++) {
            int at = r.nextInt(s.length());
            switch (r.nextInt(3)) {
                case 0 -> s.deleteCharAt(at);
                case 1 -> s.insert(at, "{}[]\",:\\0e-.\u00e9\uD800".charAt(r.nextInt(14)));
                default -> s.setCharAt(at, (char) r.nextInt(128));
            }
        }
        return s.toString();
    }

    @Test
    void randomQueriesAreAnsweredOrRefusedNeverFailed() throws Exception {
        ServedIndex served = RequestHandlerTest.servedIndex(dir);
        try {
            served.switchTo(OptionalLong.empty());
            ApiContext ctx = RequestHandlerTest.context(served);
            Random seeds = new Random(SEED);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(SECONDS);
            int cases = 0;
            int answered = 0;
            while (System.nanoTime() < deadline || cases < 300) {
                long seed = seeds.nextLong();
                Random r = new Random(seed);
                FullHttpRequest req;
                String what;
                if (r.nextInt(4) > 0) {
                    String body = query(r);
                    if (r.nextInt(4) == 0) {
                        body = mutate(r, body);
                    }
                    what = "case seed " + seed + ": POST /v1/search " + abbreviate(body);
                    req = RequestHandlerTest.request(HttpMethod.POST, "/v1/search", body);
                } else {
                    String uri = "/v1/items/id-" + r.nextInt(400) + "/similar?k="
                            + URLEncoder.encode(pick(r, NUMBERS), StandardCharsets.UTF_8) + "&filter="
                            + URLEncoder.encode(
                                    r.nextBoolean() ? filter(r) : mutate(r, filter(r)), StandardCharsets.UTF_8);
                    what = "case seed " + seed + ": GET " + abbreviate(uri);
                    req = RequestHandlerTest.request(HttpMethod.GET, uri, "");
                }
                EmbeddedChannel ch = RequestHandlerTest.channel(
                        ShardServer.routes(ctx, true), RequestHandlerTest.DIRECT, Duration.ofSeconds(5), 1 << 20);
                FullHttpResponse res = RequestHandlerTest.exchange(ch, req);
                int status = res.status().code();
                assertThat(ANSWERS).as(what + " answered " + status).contains(status);
                JsonNode json = RequestHandlerTest.json(res);
                if (status == 200) {
                    answered++;
                    assertThat(json.get("results").isArray()).as(what).isTrue();
                } else {
                    assertThat(json.get("error").asText()).as(what).isNotBlank();
                }
                ch.finishAndReleaseAll();
                cases++;
            }
            System.out.printf(
                    "query fuzz: %d cases from seed %d, %d answered, the rest refused with a 4xx%n",
                    cases, SEED, answered);
            assertThat(answered)
                    .as("a share of the queries is valid and answered")
                    .isGreaterThan(cases / 50);
        } finally {
            served.close();
        }
    }

    static String abbreviate(String s) {
        return s.length() <= 300 ? s : s.substring(0, 300) + "…";
    }
}
