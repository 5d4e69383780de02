package io.imgindex.decode;

import io.imgindex.format.Sha256;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.embed.ImageEmbedder;
import io.imgindex.item.Item;
import io.imgindex.item.Outcomes;
import io.imgindex.item.Progress;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.metrics.Counter;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Validates and decodes each fetched item: records format, size after orientation, byte size and SHA-256,
 * replaces the fetched bytes by what the model takes ({@link ImageEmbedder#decode}: the model-sized pixels, or the
 * file for a model that decodes), and emits it; items that fail to decode, and items
 * that arrive already terminal, go to {@link Outcomes#TERMINAL}. CPU-bound: runs on the task thread.
 */
public class DecodeFunction extends ProcessFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    private final DecodeOptions options;
    private transient ImageEmbedder decoder;
    private transient Counter decodedCount;
    private transient Counter rejected;
    private transient Progress.Count fetchedCount;
    private transient Progress.Count fetchFailures;
    private transient Progress.Count decodeFailures;

    public DecodeFunction(DecodeOptions options) {
        this.options = options;
    }

    @Override
    public void open(Configuration parameters) {
        decoder = ImageEmbedder.decodeOnly(options);
        decodedCount = getRuntimeContext().getMetricGroup().counter("imagesDecoded");
        rejected = getRuntimeContext().getMetricGroup().counter("imagesRejected");
        fetchedCount = Progress.count(getRuntimeContext(), Progress.FETCHED);
        fetchFailures = Progress.count(getRuntimeContext(), Progress.FAILED_FETCH);
        decodeFailures = Progress.count(getRuntimeContext(), Progress.FAILED_DECODE);
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        if (item.isTerminal()) {
            fetchFailures.inc();
            ctx.output(Outcomes.TERMINAL, item);
            return;
        }
        fetchedCount.inc();
        byte[] content = item.content;
        item.content = null;
        item.bytes = content == null ? 0 : content.length;
        item.sha256 = content == null ? null : Sha256.hex(content);
        ImageEmbedder.Decoded decoded = decoder.decode(content);
        DecodedImage image = decoded.image();
        item.format = image.format();
        if (!image.isOk()) {
            rejected.inc();
            decodeFailures.inc();
            ctx.output(Outcomes.TERMINAL, item.fail(image.reason(), image.message()));
            return;
        }
        item.width = image.width();
        item.height = image.height();
        item.pixels = decoded.modelInput();
        item.thumbnail = image.thumbnail();
        decodedCount.inc();
        out.collect(item);
    }
}
