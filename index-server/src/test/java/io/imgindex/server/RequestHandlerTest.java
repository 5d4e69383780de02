package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.format.GenerationReader;
import io.imgindex.format.IndexLayout;
import io.imgindex.server.http.ApiContext;
import io.imgindex.server.http.ApiException;
import io.imgindex.server.http.Cors;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.QueryParser;
import io.imgindex.server.http.RequestHandler;
import io.imgindex.server.http.Response;
import io.imgindex.server.http.Routes;
import io.imgindex.server.load.IndexLoader;
import io.imgindex.server.load.ServedIndex;
import io.imgindex.server.search.HnswParams;
import io.imgindex.server.search.Searcher;
import io.imgindex.server.search.SeededVectors;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The request handler and the endpoints on Netty's {@link EmbeddedChannel}, with requests run synchronously. */
class RequestHandlerTest {

    static final Executor DIRECT = Runnable::run;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static EmbeddedChannel channel(Routes routes, Executor workers, Duration timeout, int maxBody) {
        return new EmbeddedChannel(
                new HttpServerInitializerAccess(maxBody).aggregator(),
                new RequestHandler(routes, workers, new Metrics(), timeout, Cors.OFF));
    }

    static FullHttpRequest request(HttpMethod method, String uri, String body) {
        FullHttpRequest r = new DefaultFullHttpRequest(
                HttpVersion.HTTP_1_1, method, uri, Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    static JsonNode json(FullHttpResponse r) throws Exception {
        try {
            assertThat(r.headers().get(HttpHeaderNames.CONTENT_TYPE)).startsWith("application/json");
            return JSON.readTree(r.content().toString(StandardCharsets.UTF_8));
        } finally {
            r.release();
        }
    }

    static FullHttpResponse exchange(EmbeddedChannel ch, FullHttpRequest req) {
        ch.writeInbound(req);
        ch.runPendingTasks();
        FullHttpResponse r = ch.readOutbound();
        assertThat(r).as("a response").isNotNull();
        return r;
    }

    static Routes sample() {
        return new Routes()
                .add(
                        "GET",
                        "/ok/{name}",
                        "ok",
                        r -> Response.json(Map.of("hello", r.pathParams().get("name"))))
                .add("GET", "/teapot", "teapot", r -> {
                    throw new ApiException(418, "short and stout");
                })
                .add("GET", "/bug", "bug", r -> {
                    throw new IllegalStateException("secret internals");
                });
    }

    @Test
    void routesAndMapsErrorsToJson() throws Exception {
        EmbeddedChannel ch = channel(sample(), DIRECT, Duration.ofSeconds(5), 1024);

        FullHttpResponse ok = exchange(ch, request(HttpMethod.GET, "/ok/a%20b", ""));
        assertThat(ok.status().code()).isEqualTo(200);
        assertThat(ok.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo(HttpHeaderValues.KEEP_ALIVE.toString());
        assertThat(json(ok).get("hello").asText()).isEqualTo("a b");

        FullHttpResponse teapot = exchange(ch, request(HttpMethod.GET, "/teapot", ""));
        assertThat(teapot.status().code()).isEqualTo(418);
        assertThat(json(teapot).get("error").asText()).isEqualTo("short and stout");

        FullHttpResponse bug = exchange(ch, request(HttpMethod.GET, "/bug", ""));
        assertThat(bug.status().code()).isEqualTo(500);
        assertThat(json(bug).get("error").asText()).isEqualTo("internal error: IllegalStateException");

        assertThat(exchange(ch, request(HttpMethod.GET, "/nope", "")).status().code())
                .isEqualTo(404);
        FullHttpResponse method = exchange(ch, request(HttpMethod.DELETE, "/teapot", ""));
        assertThat(method.status().code()).isEqualTo(405);
        assertThat(json(method).get("error").asText()).contains("DELETE");
        assertThat(ch.isOpen()).isTrue();
    }

    @Test
    void answersBusyWhenTheWorkersAreFull() throws Exception {
        Executor full = r -> {
            throw new RejectedExecutionException("full");
        };
        FullHttpResponse r =
                exchange(channel(sample(), full, Duration.ofSeconds(5), 1024), request(HttpMethod.GET, "/ok/x", ""));
        assertThat(r.status().code()).isEqualTo(503);
        assertThat(json(r).get("error").asText()).contains("busy");
    }

    @Test
    void answersWhenARequestMissesItsDeadline() throws Exception {
        Executor never = r -> {};
        EmbeddedChannel ch = channel(sample(), never, Duration.ofMillis(50), 1024);
        ch.writeInbound(request(HttpMethod.GET, "/ok/x", ""));
        // The deadline's task runs on the channel's loop once 50 ms have passed: poll for the answer.
        FullHttpResponse r = null;
        long giveUp = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (r == null && System.nanoTime() < giveUp) {
            ch.runPendingTasks();
            r = ch.readOutbound();
            if (r == null) {
                Thread.sleep(5);
            }
        }
        assertThat(r).as("an answer after the deadline").isNotNull();
        assertThat(r.status().code()).isEqualTo(503);
        assertThat(json(r).get("error").asText()).contains("longer than 50 ms");
    }

    @Test
    void refusesOversizedBodiesAndCloses() throws Exception {
        EmbeddedChannel ch = channel(sample(), DIRECT, Duration.ofSeconds(5), 1024);
        DefaultHttpRequest head = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/ok/x");
        HttpUtil.setContentLength(head, 4096);
        // The declared length is enough to refuse: the body is never read.
        ch.writeInbound(head);
        FullHttpResponse r = ch.readOutbound();
        assertThat(r.status().code()).isEqualTo(413);
        assertThat(json(r).get("error").asText()).contains("1024 bytes");
        assertThat(ch.isOpen()).isFalse();
    }

    @Test
    void closesWhenTheClientAsks() {
        EmbeddedChannel ch = channel(sample(), DIRECT, Duration.ofSeconds(5), 1024);
        FullHttpRequest req = request(HttpMethod.GET, "/ok/x", "");
        req.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        FullHttpResponse r = exchange(ch, req);
        assertThat(r.headers().get(HttpHeaderNames.CONNECTION)).isEqualTo("close");
        r.release();
        assertThat(ch.isOpen()).isFalse();
    }

    /**
     * A served index of 300 seeded vectors (generation 1, 2 shards, the thumbnail model, metadata {@code colour}
     * and the number {@code price}) under {@code dir}, not switched to yet.
     */
    static ServedIndex servedIndex(Path dir) throws Exception {
        TestGenerations.write(
                new TestGenerations.Spec(
                        dir.toString(),
                        "idx",
                        1,
                        2,
                        ThumbnailDim.MODEL,
                        ThumbnailDim.DIM,
                        "id-",
                        VECTORS,
                        i -> Map.of("colour", i % 2 == 0 ? "red" : "blue", "price", String.valueOf(i % 50)),
                        List.of()),
                new Configuration());
        GenerationReader reader = GenerationReader.open(dir.toString(), "idx", new Configuration());
        io.imgindex.imaging.embed.ModelStore store =
                new io.imgindex.imaging.embed.ModelStore(Path.of("target", "model-cache"));
        ServedIndex served = new ServedIndex(
                new IndexLoader(
                        reader,
                        null,
                        1,
                        HnswParams.defaults(),
                        id -> store.resolve(id).card(),
                        new io.imgindex.server.load.SegmentCache(dir.resolve("cache"), 1L << 30),
                        io.imgindex.server.load.GraphWalk.AUTO),
                Duration.ofHours(1),
                new ServedIndex.Listener() {
                    @Override
                    public void loaded(io.imgindex.server.load.LoadedIndex index, Duration took) {}

                    @Override
                    public void failed(long generation, Exception error) {}
                });
        return served;
    }

    /** The API over {@code served}, exact search by default, no query embedder. */
    static ApiContext context(ServedIndex served) {
        return new ApiContext(
                served,
                new Searcher(java.util.concurrent.ForkJoinPool.commonPool()),
                null,
                new Metrics(),
                new QueryParser(100, Searcher.Mode.EXACT, 50),
                null,
                null);
    }

    static final float[] VECTORS = SeededVectors.generate(300, ThumbnailDim.DIM, 5, 1);

    @Test
    void searchEndpointOnTheEmbeddedChannel() throws Exception {
        float[] vectors = VECTORS;
        ServedIndex served = servedIndex(dir);
        try {
            ApiContext ctx = context(served);
            EmbeddedChannel ch = channel(ShardServer.routes(ctx, true), DIRECT, Duration.ofSeconds(5), 1 << 20);

            FullHttpResponse notReady = exchange(ch, request(HttpMethod.POST, "/v1/search", "{}"));
            assertThat(notReady.status().code()).isEqualTo(503);
            assertThat(json(notReady).get("error").asText()).contains("no generation loaded yet");
            assertThat(exchange(ch, request(HttpMethod.GET, "/readyz", ""))
                            .status()
                            .code())
                    .isEqualTo(503);

            served.switchTo(OptionalLong.empty());
            String vector = Http.array(java.util.Arrays.copyOfRange(vectors, 0, ThumbnailDim.DIM));
            FullHttpResponse hit =
                    exchange(ch, request(HttpMethod.POST, "/v1/search", "{\"vector\":" + vector + ",\"k\":2}"));
            JsonNode body = json(hit);
            assertThat(body.get("results").get(0).get("id").asText()).isEqualTo("id-0");
            assertThat(body.get("generation").asLong()).isEqualTo(1);
            FullHttpResponse bad = exchange(ch, request(HttpMethod.POST, "/v1/search", "{\"vector\":[1]}"));
            assertThat(bad.status().code()).isEqualTo(400);
            assertThat(json(bad).get("error").asText()).contains("128 dimensions");
            FullHttpResponse admin = exchange(ch, request(HttpMethod.POST, "/admin/generation", "{}"));
            assertThat(admin.status().code()).isEqualTo(404);
            assertThat(json(admin).get("error").asText()).contains("admin endpoints are off");
            assertThat(IndexLayout.MANIFEST).isNotEmpty();
        } finally {
            served.close();
        }
    }
}
