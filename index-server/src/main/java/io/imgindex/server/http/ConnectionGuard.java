package io.imgindex.server.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What one client may hold of a server, enforced on the raw bytes before HTTP decoding: at most
 * {@code maxConnections} open connections (more are closed at once); a request must arrive whole (head and body)
 * within {@code readDeadline} of its first byte, however slowly it trickles (an idle timer reset by every byte would
 * let a trickle hold a connection for ever); and the bodies being received on all connections together stay under
 * {@code bodyBudget} bytes (a body that would pass it is answered 503 and its connection closed), so slow uploads of
 * large bodies cannot fill the heap. The {@link RequestHandler} says when a request has arrived ({@link #arrived}).
 * What arrives after a refusal is dropped unread while the connection closes.
 *
 * <p>One instance per server, shared by its channels.
 */
@ChannelHandler.Sharable
public final class ConnectionGuard extends ChannelInboundHandlerAdapter {

    private static final Logger LOG = LoggerFactory.getLogger(ConnectionGuard.class);

    private static final AttributeKey<State> STATE = AttributeKey.valueOf("imgindex-guard");

    /** A connection's request in progress: since when, what it has buffered, its deadline. */
    private static final class State {
        final ConnectionGuard guard;
        boolean counted;
        boolean refused;
        long bytes;
        ScheduledFuture<?> deadline;

        State(ConnectionGuard guard) {
            this.guard = guard;
        }
    }

    private final int maxConnections;
    private final Duration readDeadline;
    private final long bodyBudget;
    private final AtomicInteger open = new AtomicInteger();
    private final AtomicLong buffered = new AtomicLong();

    /**
     * @param maxConnections connections open at once; more are closed as they come
     * @param readDeadline how long a request may take to arrive, from its first byte to its last
     * @param bodyBudget bytes of requests being received, on all connections together
     */
    public ConnectionGuard(int maxConnections, Duration readDeadline, long bodyBudget) {
        this.maxConnections = maxConnections;
        this.readDeadline = readDeadline;
        this.bodyBudget = bodyBudget;
    }

    /** Connections open now. */
    public int open() {
        return open.get();
    }

    /** Bytes of request bodies being received now, on all connections together (counted against the budget). */
    public long buffered() {
        return buffered.get();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        State s = new State(this);
        ctx.channel().attr(STATE).set(s);
        if (open.incrementAndGet() > maxConnections) {
            open.decrementAndGet();
            LOG.debug("Refusing {}: {} connections open already", ctx.channel().remoteAddress(), maxConnections);
            ctx.close();
            return;
        }
        s.counted = true;
        super.channelActive(ctx);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        State s = ctx.channel().attr(STATE).get();
        if (s != null) {
            release(s);
            if (s.counted) {
                open.decrementAndGet();
                s.counted = false;
            }
        }
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        State s = ctx.channel().attr(STATE).get();
        if (s != null && msg instanceof ByteBuf bytes) {
            if (s.refused) {
                bytes.release();
                return;
            }
            if (s.deadline == null) {
                s.deadline = ctx.executor()
                        .schedule(() -> expire(ctx.channel()), readDeadline.toMillis(), TimeUnit.MILLISECONDS);
            }
            int n = bytes.readableBytes();
            s.bytes += n;
            if (buffered.addAndGet(n) > bodyBudget) {
                release(s);
                s.refused = true;
                LingeringClose.refuse(
                        ctx.channel(),
                        HttpResponseStatus.SERVICE_UNAVAILABLE,
                        "the server is receiving too many large" + " requests at once (" + bodyBudget
                                + " bytes in all): try again");
                bytes.release();
                return;
            }
        }
        super.channelRead(ctx, msg);
    }

    /** The request handler has the whole request: its deadline and its share of the budget end. */
    public static void arrived(Channel channel) {
        State s = channel.attr(STATE).get();
        if (s != null) {
            s.guard.release(s);
        }
    }

    private void release(State s) {
        if (s.deadline != null) {
            s.deadline.cancel(false);
            s.deadline = null;
        }
        buffered.addAndGet(-s.bytes);
        s.bytes = 0;
    }

    private void expire(Channel channel) {
        State s = channel.attr(STATE).get();
        if (s == null || s.deadline == null) {
            return;
        }
        release(s);
        s.refused = true;
        LingeringClose.refuse(
                channel,
                HttpResponseStatus.REQUEST_TIMEOUT,
                "the request did not arrive whole within " + readDeadline.toMillis() + " ms of its first byte");
    }
}
