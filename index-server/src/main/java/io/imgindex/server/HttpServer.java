package io.imgindex.server;

import io.imgindex.server.http.ConnectionGuard;
import io.imgindex.server.http.Cors;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.RequestHandler;
import io.imgindex.server.http.Routes;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An HTTP server's bootstrap and lifecycle: binds (port 0 picks a free port, and the bound address is logged and
 * returned), runs requests on a bounded worker pool, shuts down gracefully. What it answers is the {@link Routes}
 * it is given: a shard server's or a router's.
 */
public final class HttpServer implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(HttpServer.class);

    /**
     * Limits that keep one client from taking the server down.
     *
     * @param workers threads running requests
     * @param queue requests waiting for a worker before new ones get 503
     * @param maxBodyBytes the largest request body
     * @param requestTimeout the longest a request may take before it is answered 503
     * @param idleTimeout how long a connection may stay silent
     * @param maxConnections connections open at once; more are closed as they come
     * @param receiveTimeout how long a request may take to arrive whole, from its first byte
     * @param bodyBudget bytes of requests being received on all connections together; a request that would pass it
     *     is answered 503
     */
    public record Limits(
            int workers,
            int queue,
            int maxBodyBytes,
            Duration requestTimeout,
            Duration idleTimeout,
            int maxConnections,
            Duration receiveTimeout,
            long bodyBudget) {}

    private final EventLoopGroup boss;
    private final EventLoopGroup io;
    private final ThreadPoolExecutor workers;
    private final Channel channel;
    private final AtomicBoolean closed = new AtomicBoolean();

    private HttpServer(EventLoopGroup boss, EventLoopGroup io, ThreadPoolExecutor workers, Channel channel) {
        this.boss = boss;
        this.io = io;
        this.workers = workers;
        this.channel = channel;
    }

    /** Binds and starts answering, to no other origin's pages. */
    public static HttpServer start(String host, int port, Routes routes, Metrics metrics, Limits limits)
            throws InterruptedException {
        return start(host, port, routes, metrics, limits, Cors.OFF);
    }

    /** Binds and starts answering; pages of the origins {@code cors} allows may read the answers. */
    public static HttpServer start(String host, int port, Routes routes, Metrics metrics, Limits limits, Cors cors)
            throws InterruptedException {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor workers = new ThreadPoolExecutor(
                limits.workers(),
                limits.workers(),
                60,
                TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(limits.queue()),
                r -> {
                    Thread t = new Thread(r, "imgindex-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(NioIoHandler.newFactory());
        try {
            RequestHandler handler = new RequestHandler(routes, workers, metrics, limits.requestTimeout(), cors);
            ConnectionGuard guard =
                    new ConnectionGuard(limits.maxConnections(), limits.receiveTimeout(), limits.bodyBudget());
            metrics.gauge("imgindex_http_connections", "Connections open (at most --max-connections).", guard::open);
            metrics.gauge(
                    "imgindex_http_body_bytes_receiving",
                    "Bytes of request bodies being received on all connections (at most --body-budget).",
                    guard::buffered);
            metrics.gauge(
                    "imgindex_http_workers_busy", "Workers running a request (of --workers).", workers::getActiveCount);
            metrics.gauge(
                    "imgindex_http_queued", "Requests waiting for a worker (at most --queue).", () -> workers.getQueue()
                            .size());
            Channel ch = new ServerBootstrap()
                    .group(boss, io)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new HttpServerInitializer(
                            handler,
                            guard,
                            limits.maxBodyBytes(),
                            limits.idleTimeout().toSeconds()))
                    .bind(host, port)
                    .sync()
                    .channel();
            HttpServer server = new HttpServer(boss, io, workers, ch);
            LOG.info(
                    "Listening on http://{}{}",
                    server.reachableAt(),
                    server.address().getAddress().isAnyLocalAddress() ? " (and every other interface)" : "");
            return server;
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully();
            io.shutdownGracefully();
            workers.shutdownNow();
            throw e;
        }
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    /** {@code host:port} of the bound address. */
    public String hostAndPort() {
        InetSocketAddress a = address();
        String host = a.getAddress().getHostAddress();
        return (a.getAddress() instanceof Inet6Address ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /**
     * An address to reach the server at: the bound one, or the loopback address with the bound port when the
     * server listens on every interface.
     */
    public String reachableAt() {
        InetSocketAddress a = address();
        return a.getAddress().isAnyLocalAddress() ? "127.0.0.1:" + a.getPort() : hostAndPort();
    }

    /** Blocks until the server's channel closes. */
    public void awaitClose() throws InterruptedException {
        channel.closeFuture().sync();
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS);
        workers.shutdown();
    }
}
