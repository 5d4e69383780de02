package io.imgindex.server;

import io.imgindex.server.http.ConnectionGuard;
import io.imgindex.server.http.LingeringClose;
import io.imgindex.server.http.RequestHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.flow.FlowControlHandler;
import io.netty.handler.timeout.ReadTimeoutHandler;
import java.util.concurrent.TimeUnit;

/**
 * The channel pipeline, and nothing else: the {@link ConnectionGuard} (connection cap, receive deadline, body
 * budget), an idle timeout, HTTP/1.1 codec with bounded initial line and headers, keep-alive, a body aggregator
 * capped at {@code maxBodyBytes} (a larger body gets a JSON 413, then the connection drains and closes: {@link LingeringClose}), flow control (one
 * request at a time, read only when the previous one is answered: auto-read is off), then the shared {@link
 * RequestHandler}.
 */
final class HttpServerInitializer extends ChannelInitializer<SocketChannel> {

    private final RequestHandler handler;
    private final ConnectionGuard guard;
    private final int maxBodyBytes;
    private final long idleSeconds;

    HttpServerInitializer(RequestHandler handler, ConnectionGuard guard, int maxBodyBytes, long idleSeconds) {
        this.handler = handler;
        this.guard = guard;
        this.maxBodyBytes = maxBodyBytes;
        this.idleSeconds = idleSeconds;
    }

    @Override
    protected void initChannel(SocketChannel ch) {
        ch.config().setAutoRead(false);
        ch.pipeline()
                .addLast(guard)
                .addLast(new ReadTimeoutHandler(idleSeconds, TimeUnit.SECONDS))
                .addLast(new HttpServerCodec(8192, 16384, 8192))
                .addLast(new HttpServerKeepAliveHandler())
                .addLast(cappedAggregator(maxBodyBytes))
                .addLast(new FlowControlHandler())
                .addLast(handler);
    }

    /** The body aggregator with the cap and the JSON 413. */
    static HttpObjectAggregator cappedAggregator(int maxBodyBytes) {
        return new CappedAggregator(maxBodyBytes);
    }

    /** Refuses bodies over the cap with the API's JSON error. */
    private static final class CappedAggregator extends HttpObjectAggregator {
        CappedAggregator(int maxContentLength) {
            super(maxContentLength, true);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            LingeringClose.refuse(
                    ctx.channel(),
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE,
                    "the body is larger than the limit of " + maxContentLength() + " bytes");
        }
    }
}
