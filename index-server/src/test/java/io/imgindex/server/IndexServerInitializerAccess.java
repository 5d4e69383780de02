package io.imgindex.server;

import io.netty.channel.ChannelHandler;
import io.netty.handler.codec.http.HttpObjectAggregator;

/** Lets the handler tests use the pipeline's capped aggregator. */
final class IndexServerInitializerAccess {

    private final int maxBody;

    IndexServerInitializerAccess(int maxBody) {
        this.maxBody = maxBody;
    }

    ChannelHandler aggregator() {
        HttpObjectAggregator a = IndexServerInitializer.cappedAggregator(maxBody);
        return a;
    }
}
