package io.imgindex.server.http;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.ReferenceCountUtil;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * Closes a connection after a refusal sent before the request was read whole (a body over the cap, a request that
 * took too long, a full body budget), as RFC 9112 section 9.6 asks of a server: the response is flushed, the sending
 * side shut, and whatever the client still sends is read and dropped for at most {@link #LINGER} before the
 * connection closes. Closing at once with unread bytes in the socket makes the kernel answer them with a reset, which
 * can destroy the response before the client reads it (the client then sees a broken pipe instead of the 413).
 */
public final class LingeringClose {

    /** How long a refused connection may keep sending before it is closed regardless. */
    public static final Duration LINGER = Duration.ofSeconds(2);

    private LingeringClose() {}

    /**
     * Answers {@code status} with the API's JSON error through the whole pipeline (so the codec encodes it), then
     * closes as described above. Call on the channel's event loop.
     */
    public static void refuse(Channel ch, HttpResponseStatus status, String message) {
        Response r = Response.error(status.code(), message);
        FullHttpResponse res =
                new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, Unpooled.wrappedBuffer(r.body()));
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, r.contentType());
        res.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.body().length);
        res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        // The keep-alive handler closes a connection as soon as a "Connection: close" answer is written: too soon.
        HttpServerKeepAliveHandler keepAlive = ch.pipeline().get(HttpServerKeepAliveHandler.class);
        if (keepAlive != null) {
            ch.pipeline().remove(keepAlive);
        }
        after(ch.writeAndFlush(res));
    }

    /** Once {@code sent} (the refusal) is flushed: shut output, drain input, close within {@link #LINGER}. */
    static void after(ChannelFuture sent) {
        sent.addListener(f -> {
            Channel ch = sent.channel();
            if (!f.isSuccess() || !ch.isActive() || !(ch instanceof SocketChannel socket)) {
                ch.close();
                return;
            }
            var timer = ch.eventLoop().schedule((Runnable) ch::close, LINGER.toMillis(), TimeUnit.MILLISECONDS);
            ch.closeFuture().addListener(closed -> timer.cancel(false));
            if (ch.pipeline().get(Drain.class) == null) {
                ch.pipeline().addFirst(new Drain());
            }
            socket.shutdownOutput().addListener(shut -> {
                ch.config().setAutoRead(true);
                ch.read();
            });
        });
    }

    /** Drops every byte that arrives; closes when the client shuts its side or fails. */
    private static final class Drain extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            // auto-read is on: nothing to ask for, and nothing to pass on to handlers that no longer matter
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.close();
            }
            ReferenceCountUtil.release(evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            // the client reset the connection while we drained it: the response was sent, nothing is left to do
            ctx.close();
        }
    }
}
