package io.imgindex.server.http;

import io.imgindex.server.search.QueryImageRefused;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.timeout.ReadTimeoutException;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one place requests meet endpoints: matches the route on the event loop, copies the body out of Netty's
 * buffer, runs the endpoint on the worker pool (never on the event loop, except the few routes added with {@link
 * Routes#addImmediate}) under a deadline, and maps every outcome to a response: an {@link ApiException} to its
 * status with {@code {"error": ...}}, a full worker queue to 503, a missed deadline to 503 (and the work is
 * interrupted), anything else to 500 (logged with its stack). Records metrics per route.
 *
 * <p>A connection's requests are answered one at a time and in order: the channel reads with auto-read off, and
 * the next request is read only once the previous one is answered (a {@link
 * io.netty.handler.flow.FlowControlHandler} ahead of this handler holds back requests that arrived pipelined in
 * one read). So HTTP/1.1 pipelining gets its answers in the order it asked, and one connection holds at most one
 * worker.
 *
 * <p>Stateless and shared by all channels.
 */
@ChannelHandler.Sharable
public final class RequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = LoggerFactory.getLogger(RequestHandler.class);

    private final Routes routes;
    private final Executor workers;
    private final Metrics metrics;
    private final Duration timeout;
    private final Cors cors;

    public RequestHandler(Routes routes, Executor workers, Metrics metrics, Duration timeout, Cors cors) {
        this.routes = routes;
        this.workers = workers;
        this.metrics = metrics;
        this.timeout = timeout;
        this.cors = cors;
    }

    /** The {@code Origin} of the request a channel is answering (one at a time), for the CORS headers. */
    private static final AttributeKey<String> ORIGIN = AttributeKey.valueOf("imgindex-origin");

    /** Set on a channel while one of its requests is being answered. */
    private static final AttributeKey<Boolean> ANSWERING = AttributeKey.valueOf("imgindex-answering");

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        ctx.read();
        super.channelActive(ctx);
    }

    /**
     * A read ended without a whole request (the flow-control handler counts any read as answered): ask for more,
     * unless a request is being answered, whose answer asks for the next one.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (ctx.channel().attr(ANSWERING).get() != Boolean.TRUE) {
            ctx.read();
        }
        super.channelReadComplete(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) {
        long start = System.nanoTime();
        ctx.channel().attr(ANSWERING).set(Boolean.TRUE);
        ConnectionGuard.arrived(ctx.channel());
        boolean keepAlive = HttpUtil.isKeepAlive(req);
        if (!req.decoderResult().isSuccess()) {
            write(ctx, Response.error(400, "malformed HTTP request"), false, "invalid", start);
            return;
        }
        ctx.channel().attr(ORIGIN).set(req.headers().get(HttpHeaderNames.ORIGIN));
        if (cors.on()
                && req.method().name().equals("OPTIONS")
                && req.headers().contains(HttpHeaderNames.ACCESS_CONTROL_REQUEST_METHOD)) {
            write(ctx, cors.preflight(req.headers().get(HttpHeaderNames.ORIGIN)), keepAlive, "preflight", start);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(req.uri());
        Routes.Match match;
        Request request;
        try {
            match = routes.match(req.method().name(), uri.path());
            Map<String, String> headers = new HashMap<>();
            req.headers().forEach(h -> headers.putIfAbsent(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
            request = new Request(
                    req.method().name(),
                    uri.path(),
                    match.params(),
                    uri.parameters(),
                    headers,
                    ByteBufUtil.getBytes(req.content()));
        } catch (ApiException e) {
            write(ctx, Response.error(e.status(), e.getMessage()), keepAlive, "unmatched", start);
            return;
        } catch (IllegalArgumentException e) {
            // QueryStringDecoder's verdict on a bad percent-escape in the path or the query.
            write(
                    ctx,
                    Response.error(400, "the URL is not valid percent-encoding: " + e.getMessage()),
                    keepAlive,
                    "unmatched",
                    start);
            return;
        }
        if (match.immediate()) {
            Response r;
            try {
                r = match.endpoint().handle(request);
            } catch (Exception e) {
                r = failure(e, request);
            }
            write(ctx, r, keepAlive, match.name(), start);
            return;
        }
        CompletableFuture<Response> result = new CompletableFuture<>();
        FutureTask<Void> task = new FutureTask<>(() -> {
            try {
                result.complete(match.endpoint().handle(request));
            } catch (Throwable t) {
                result.completeExceptionally(t);
            }
            return null;
        });
        try {
            workers.execute(task);
        } catch (RejectedExecutionException e) {
            write(ctx, Response.error(503, "the server is busy: try again"), keepAlive, match.name(), start);
            return;
        }
        ScheduledFuture<?> deadline = ctx.executor()
                .schedule(
                        () -> {
                            if (result.completeExceptionally(new TimeoutException())) {
                                // Nobody will read the answer: stop the work (a scan or a fetch checks for it).
                                task.cancel(true);
                            }
                        },
                        timeout.toMillis(),
                        TimeUnit.MILLISECONDS);
        result.whenComplete((response, error) -> {
            deadline.cancel(false);
            Response r = response != null ? response : failure(error, request);
            if (ctx.executor().inEventLoop()) {
                write(ctx, r, keepAlive, match.name(), start);
            } else {
                ctx.executor().execute(() -> write(ctx, r, keepAlive, match.name(), start));
            }
        });
    }

    private Response failure(Throwable error, Request request) {
        Throwable t = error;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof ApiException e) {
            return Response.error(e.status(), e.getMessage());
        }
        if (t instanceof QueryImageRefused q) {
            int status =
                    switch (q.why()) {
                        case NOT_ALLOWED -> 400;
                        case TOO_LARGE -> 413;
                        case UNUSABLE -> 422;
                    };
            return Response.error(status, q.getMessage());
        }
        if (t instanceof TimeoutException) {
            return Response.error(503, "the request took longer than " + timeout.toMillis() + " ms");
        }
        if (t instanceof InterruptedException || t instanceof CancellationException) {
            return Response.error(503, "the server is shutting down");
        }
        LOG.error("{} {} failed", request.method(), request.path(), t);
        return Response.error(500, "internal error: " + t.getClass().getSimpleName());
    }

    private void write(ChannelHandlerContext ctx, Response r, boolean keepAlive, String route, long start) {
        FullHttpResponse res = new DefaultFullHttpResponse(
                HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        r.headers().forEach(res.headers()::set);
        cors.headers(ctx.channel().attr(ORIGIN).get()).forEach(res.headers()::set);
        if (keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        } else {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        metrics.request(route, r.status(), System.nanoTime() - start);
        var sent = ctx.writeAndFlush(res);
        if (keepAlive) {
            // The next request of this connection, now that this one is answered.
            ctx.channel().attr(ANSWERING).set(Boolean.FALSE);
            ctx.read();
        } else {
            sent.addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof ReadTimeoutException) {
            LOG.debug("Closing idle connection {}", ctx.channel().remoteAddress());
        } else {
            // A broken connection (reset by the peer, bad framing): nothing to answer, only to close.
            LOG.debug("Closing connection {}: {}", ctx.channel().remoteAddress(), cause.toString());
        }
        ctx.close();
    }
}
