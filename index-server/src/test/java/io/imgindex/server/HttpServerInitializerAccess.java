package io.imgindex.server;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpObjectAggregator;

/** Lets the handler tests use the pipeline's capped aggregator. */
final class HttpServerInitializerAccess {

    private final int maxBody;

    HttpServerInitializerAccess(int maxBody) {
        this.maxBody = maxBody;
    }

    ChannelHandler aggregator() {
        HttpObjectAggregator a = HttpServerInitializer.cappedAggregator(maxBody);
        return a;
    }
}
