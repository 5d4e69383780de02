package io.imgindex.format;

import java.util.Map;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * An input that could not be indexed: a row of {@link Table#FAILURES}.
 *
 * @param url the URL as resolved, or the raw input line when the line itself could not be parsed
 * @param id the item's id, or null when the line could not be parsed
 * @param reason the reason code, e.g. {@code HTTP_404}, {@code NOT_AN_IMAGE} (see the format README)
 * @param message a human-readable explanation naming the offending value
 * @param httpStatus the last HTTP status seen, or null
 * @param attempts how many fetch attempts were made (0 when it failed before fetching)
 * @param failedAtMillis when it failed, milliseconds since the epoch (UTC)
 * @param source where the input came from, {@code <input file>:<line>}; may be null
 * @param metadata the input's extra columns
 */
public record FailureRow(
        String url,
        String id,
        String reason,
        String message,
        Integer httpStatus,
        int attempts,
        long failedAtMillis,
        String source,
        Map<String, String> metadata) {

    /** The Parquet schema of the failures table. */
    public static final MessageType SCHEMA = Types.buildMessage()
            .addField(Columns.requiredString("url"))
            .addField(Columns.optionalString("id"))
            .addField(Columns.requiredString("reason"))
            .addField(Columns.requiredString("message"))
            .addField(Types.optional(PrimitiveTypeName.INT32).named("http_status"))
            .addField(Types.required(PrimitiveTypeName.INT32).named("attempts"))
            .addField(Columns.requiredTimestampMillis("failed_at"))
            .addField(Columns.optionalString("source"))
            .addField(Columns.metadataMap())
            .named("imgindex_failure");

    public FailureRow {
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
        metadata = Columns.sortedCopy(metadata);
    }

    void write(RecordConsumer rc) {
        rc.startMessage();
        Columns.writeString(rc, "url", 0, url);
        Columns.writeOptionalString(rc, "id", 1, id);
        Columns.writeString(rc, "reason", 2, reason);
        Columns.writeString(rc, "message", 3, message);
        if (httpStatus != null) {
            Columns.writeInt(rc, "http_status", 4, httpStatus);
        }
        Columns.writeInt(rc, "attempts", 5, attempts);
        Columns.writeLong(rc, "failed_at", 6, failedAtMillis);
        Columns.writeOptionalString(rc, "source", 7, source);
        Columns.writeMetadata(rc, 8, metadata);
        rc.endMessage();
    }

    /** Reads a row from parquet-hadoop's example {@link Group}. */
    public static FailureRow fromGroup(Group g) {
        return new FailureRow(
                g.getString("url", 0),
                Columns.readOptionalString(g, "id"),
                g.getString("reason", 0),
                g.getString("message", 0),
                g.getFieldRepetitionCount("http_status") == 0 ? null : g.getInteger("http_status", 0),
                g.getInteger("attempts", 0),
                g.getLong("failed_at", 0),
                Columns.readOptionalString(g, "source"),
                Columns.readMetadata(g));
    }
}
