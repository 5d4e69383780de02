package io.imgindex.fetch;

import io.imgindex.item.InFlight;
import io.imgindex.item.Item;
import io.imgindex.item.Reason;
import java.util.Collections;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.async.ResultFuture;
import org.apache.flink.streaming.api.functions.async.RichAsyncFunction;

/**
 * Fetches each pending item's URL into {@link Item#content}, or marks the item failed with the fetcher's
 * reason. Use with {@code AsyncDataStream.unorderedWait} and a timeout a little above
 * {@link FetchOptions#totalTimeout()}: the fetcher gives up on its own first, and {@link #timeout} turns the
 * operator's timeout into a {@code TIMEOUT} failure instead of a job failure.
 */
public class FetchFunction extends RichAsyncFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    private final FetchOptions options;
    private transient ImageFetcher fetcher;
    private transient InFlight inFlight;
    private transient Counter fetched;
    private transient Counter failed;

    public FetchFunction(FetchOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        fetcher = new ImageFetcher(options);
        inFlight = new InFlight();
        fetched = getRuntimeContext().getMetricGroup().counter("imagesFetched");
        failed = getRuntimeContext().getMetricGroup().counter("fetchFailures");
    }

    @Override
    public void asyncInvoke(Item item, ResultFuture<Item> out) {
        if (item.isTerminal()) {
            out.complete(Collections.singleton(item));
            return;
        }
        inFlight.start(item);
        fetcher.fetch(item.url)
                .whenComplete(
                        (result, error) -> {
                            if (!inFlight.claim(item)) {
                                return; // the operator timed it out already and emitted it
                            }
                            if (error != null) {
                                item.fail(Reason.FETCH_FAILED, "fetcher error: " + error);
                            } else {
                                item.attempts = result.attempts();
                                item.httpStatus = result.httpStatus();
                                if (result.isOk()) {
                                    item.content = result.content();
                                } else {
                                    item.fail(result.reason(), result.message());
                                }
                            }
                            (item.isTerminal() ? failed : fetched).inc();
                            out.complete(Collections.singleton(item));
                        });
    }

    @Override
    public void timeout(Item item, ResultFuture<Item> out) {
        if (!inFlight.claim(item)) {
            return; // completed by the fetcher at the same moment
        }
        failed.inc();
        out.complete(Collections.singleton(
                item.fail(Reason.TIMEOUT, "no answer within " + options.totalTimeout() + " for " + item.url)));
    }

    @Override
    public void close() {
        if (fetcher != null) {
            fetcher.close();
        }
    }
}
