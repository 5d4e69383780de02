package io.imgindex.fetch;

import io.imgindex.imaging.Reason;
import io.imgindex.imaging.fetch.FetchOptions;
import io.imgindex.imaging.fetch.FetchResult;
import io.imgindex.imaging.fetch.ImageFetcher;
import io.imgindex.item.Item;
import io.imgindex.item.ItemAsyncFunction;
import java.util.concurrent.CompletableFuture;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;

/**
 * Fetches each pending item's URL into {@link Item#content}, or marks the item failed with the fetcher's
 * reason. Use with {@code AsyncDataStream.unorderedWait} and a timeout a little above
 * {@link FetchOptions#totalTimeout()}: the fetcher gives up on its own first, and the operator's timeout becomes
 * a {@code TIMEOUT} failure instead of a job failure.
 */
public class FetchFunction extends ItemAsyncFunction<FetchResult> {

    private static final long serialVersionUID = 1L;

    private final FetchOptions options;
    private transient ImageFetcher fetcher;
    private transient Counter fetched;
    private transient Counter failed;

    public FetchFunction(FetchOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        fetcher = new ImageFetcher(options, new FlinkObjectStore());
        fetched = getRuntimeContext().getMetricGroup().counter("imagesFetched");
        failed = getRuntimeContext().getMetricGroup().counter("fetchFailures");
    }

    @Override
    protected CompletableFuture<FetchResult> call(Item item) {
        return fetcher.fetch(item.url);
    }

    @Override
    protected void apply(Item item, FetchResult result, Throwable error) {
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
    }

    @Override
    protected void timedOut(Item item) {
        failed.inc();
        item.fail(Reason.TIMEOUT, "no answer within " + options.totalTimeout() + " for " + item.url);
    }

    @Override
    public void close() {
        if (fetcher != null) {
            fetcher.close();
        }
    }
}
