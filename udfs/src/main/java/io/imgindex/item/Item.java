package io.imgindex.item;

import io.imgindex.imaging.Reason;
import io.imgindex.imaging.input.InputRecord;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfo;

/**
 * One input record on its way through the pipeline, from the URL list to its outcome: indexed, duplicate,
 * failed, or (for blank and comment lines) skipped.
 *
 * <p>A Flink POJO with public fields: each stage fills what it learns and clears what later stages do not
 * need (the fetched bytes after decoding, the pixels after embedding), so records stay small on the wire.
 * A stage that receives a terminal item passes it on untouched. Not thread-safe; owned by one operator at a
 * time.
 */
@TypeInfo(ItemTypeInfoFactory.class)
public class Item {

    // --- from the input line
    /** The item id: given by the input, or derived from the URL (see {@code InputLines#deriveId}). */
    public String id;

    /** The URL, after resolving relative references against the input file; the raw line for bad records. */
    public String url;

    /** The input's extra columns; never null. */
    public Map<String, String> metadata = Map.of();

    /** {@code <input file>:<line>}. */
    public String source;

    /**
     * An item of the generation a BATCH run appends to ({@code --append-to}): indexed already, read back from its
     * segment with its vector. It takes part in the deduplication (new items are checked against it, and it is
     * always the one kept) and is not written again: its segment is listed as it is.
     */
    public boolean inBase;

    // --- outcome
    public Status status = Status.PENDING;

    /** Reason code of a failure ({@link Reason} or {@code HTTP_<n>}), or the kind of a skipped line. */
    public String reason;

    /** Explanation of a failure, naming the offending value. */
    public String message;

    /** The last HTTP status seen, if any. */
    public Integer httpStatus;

    /** Fetch attempts made. */
    public int attempts;

    /** When the item reached its outcome (or was last processed), epoch milliseconds. */
    public long timestampMillis;

    // --- fetch
    /** The fetched bytes; cleared once decoded. */
    public byte[] content;

    // --- decode
    /** {@code jpeg}, {@code png}, {@code gif}, {@code bmp} or {@code webp}. */
    public String format;

    /** Pixels, after EXIF orientation. */
    public int width;

    public int height;

    /** Size of the fetched bytes. */
    public long bytes;

    /** Hex SHA-256 of the fetched bytes. */
    public String sha256;

    /** The image resized to the model's input, RGB interleaved, row-major; cleared once embedded. */
    public byte[] pixels;

    /** A small JPEG of the upright image (the job's {@code --thumbnail.size}), or null; a few KB, kept to the end. */
    public byte[] thumbnail;

    // --- embed
    public float[] vector;

    public String modelId;

    // --- dedup
    /** The id of the indexed item this one duplicates. */
    public String duplicateOf;

    public float similarity;

    /** {@code exact} or {@code near}. */
    public String match;

    /**
     * Whether {@link #duplicateOf} is an item of the generation a run builds on (an append's or a stream's): indexed
     * already, so this outcome is final (its exact copies need not wait for a decision about it).
     */
    public boolean duplicateOfBase;

    public Item() {}

    /** A pending item for an input record. */
    public static Item pending(String id, String url, Map<String, String> metadata, String source) {
        Item item = new Item();
        item.id = id;
        item.url = url;
        item.metadata = metadata == null ? Map.of() : metadata;
        item.source = source;
        return item;
    }

    /** The pipeline element of a record as read from a list or a queue. */
    public static Item of(InputRecord r) {
        Item item = pending(r.id(), r.url(), r.metadata(), r.source());
        switch (r.status()) {
            case FAILED -> item.fail(r.reason(), r.message());
            case SKIPPED -> {
                item.status = Status.SKIPPED;
                item.reason = r.reason();
            }
            case PENDING -> {}
        }
        return item;
    }

    /** Marks the item failed and drops any payload it carried. */
    public Item fail(String reasonCode, String why) {
        status = Status.FAILED;
        reason = reasonCode;
        message = why;
        content = null;
        pixels = null;
        thumbnail = null;
        vector = null;
        timestampMillis = System.currentTimeMillis();
        return this;
    }

    /** Marks the item failed with one of the fixed reasons. */
    public Item fail(Reason why, String explanation) {
        return fail(why.name(), explanation);
    }

    /** Marks the item a duplicate of {@code keptId}. */
    public Item duplicateOf(String keptId, float score, String matchKind) {
        status = Status.DUPLICATE;
        duplicateOf = keptId;
        similarity = score;
        match = matchKind;
        content = null;
        pixels = null;
        vector = null;
        timestampMillis = System.currentTimeMillis();
        return this;
    }

    /** Marks the item indexed with its vector. */
    public Item indexed(float[] embedding, String model) {
        status = Status.INDEXED;
        vector = embedding;
        modelId = model;
        pixels = null;
        content = null;
        timestampMillis = System.currentTimeMillis();
        return this;
    }

    /** Whether the item has reached its outcome. */
    public boolean isTerminal() {
        return status.isTerminal();
    }

    @Override
    public String toString() {
        return "Item{id=" + id + ", url=" + url + ", status=" + status + (reason == null ? "" : ", reason=" + reason)
                + "}";
    }
}
