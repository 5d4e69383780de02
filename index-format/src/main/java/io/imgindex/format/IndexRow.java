package io.imgindex.format;

import java.util.Map;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * One indexed item: a row of the {@link Table#INDEX} table.
 *
 * @param id the item's id, unique within a generation
 * @param url the URL the image was fetched from, after resolving relative references
 * @param vector the embedding, {@code dimension} floats as written by the model (L2-normalised for cosine)
 * @param modelId the id of the model that made the vector
 * @param width the image width in pixels, after EXIF orientation
 * @param height the image height in pixels, after EXIF orientation
 * @param format the decoded format: {@code jpeg}, {@code png}, {@code gif}, {@code bmp}, {@code webp}
 * @param bytes the size of the fetched bytes
 * @param sha256 lowercase hex SHA-256 of the fetched bytes
 * @param ingestedAtMillis when the item was processed, milliseconds since the epoch (UTC)
 * @param source where the input came from, {@code <input file>:<line>}; may be null
 * @param metadata the input's extra columns, by name
 */
public record IndexRow(
        String id,
        String url,
        float[] vector,
        String modelId,
        int width,
        int height,
        String format,
        long bytes,
        String sha256,
        long ingestedAtMillis,
        String source,
        Map<String, String> metadata) {

    /** The Parquet schema of the index table. */
    public static final MessageType SCHEMA = Types.buildMessage()
            .addField(Columns.requiredString("id"))
            .addField(Columns.requiredString("url"))
            .addField(Types.requiredList()
                    .requiredElement(PrimitiveTypeName.FLOAT)
                    .named("vector"))
            .addField(Columns.requiredString("model_id"))
            .addField(Types.required(PrimitiveTypeName.INT32).named("width"))
            .addField(Types.required(PrimitiveTypeName.INT32).named("height"))
            .addField(Columns.requiredString("format"))
            .addField(Types.required(PrimitiveTypeName.INT64).named("bytes"))
            .addField(Columns.requiredString("sha256"))
            .addField(Columns.requiredTimestampMillis("ingested_at"))
            .addField(Columns.optionalString("source"))
            .addField(Columns.metadataMap())
            .named("imgindex_item");

    public IndexRow {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(vector, "vector");
        Objects.requireNonNull(modelId, "modelId");
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(sha256, "sha256");
        metadata = Columns.sortedCopy(metadata);
    }

    void write(RecordConsumer rc) {
        rc.startMessage();
        Columns.writeString(rc, "id", 0, id);
        Columns.writeString(rc, "url", 1, url);
        Columns.writeFloatList(rc, "vector", 2, vector);
        Columns.writeString(rc, "model_id", 3, modelId);
        Columns.writeInt(rc, "width", 4, width);
        Columns.writeInt(rc, "height", 5, height);
        Columns.writeString(rc, "format", 6, format);
        Columns.writeLong(rc, "bytes", 7, bytes);
        Columns.writeString(rc, "sha256", 8, sha256);
        Columns.writeLong(rc, "ingested_at", 9, ingestedAtMillis);
        Columns.writeOptionalString(rc, "source", 10, source);
        Columns.writeMetadata(rc, 11, metadata);
        rc.endMessage();
    }

    /** Reads a row from parquet-hadoop's example {@link Group} (any reader of {@link #SCHEMA}). */
    public static IndexRow fromGroup(Group g) {
        return new IndexRow(
                g.getString("id", 0),
                g.getString("url", 0),
                Columns.readFloatList(g, "vector"),
                g.getString("model_id", 0),
                g.getInteger("width", 0),
                g.getInteger("height", 0),
                g.getString("format", 0),
                g.getLong("bytes", 0),
                g.getString("sha256", 0),
                g.getLong("ingested_at", 0),
                Columns.readOptionalString(g, "source"),
                Columns.readMetadata(g));
    }
}
