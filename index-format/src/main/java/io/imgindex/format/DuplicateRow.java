package io.imgindex.format;

import java.util.Map;
import java.util.Objects;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Types;

/**
 * An item that was not indexed because it duplicates an indexed one: a row of {@link Table#DUPLICATES}.
 *
 * @param id the duplicate's own id
 * @param url the duplicate's URL
 * @param duplicateOf the id of the indexed item it duplicates (always an id of the index table)
 * @param similarity the similarity to that item; {@code 1.0} for identical bytes
 * @param match how it was matched: {@link #MATCH_EXACT} (same bytes) or {@link #MATCH_NEAR} (near-identical
 *     vectors)
 * @param sha256 lowercase hex SHA-256 of the duplicate's bytes
 * @param ingestedAtMillis when it was processed, milliseconds since the epoch (UTC)
 * @param source where the input came from, {@code <input file>:<line>}; may be null
 * @param metadata the input's extra columns
 */
public record DuplicateRow(
        String id,
        String url,
        String duplicateOf,
        float similarity,
        String match,
        String sha256,
        long ingestedAtMillis,
        String source,
        Map<String, String> metadata) {

    /** Same bytes (same SHA-256). */
    public static final String MATCH_EXACT = "exact";

    /** Near-identical embeddings. */
    public static final String MATCH_NEAR = "near";

    /** The Parquet schema of the duplicates table. */
    public static final MessageType SCHEMA = Types.buildMessage()
            .addField(Columns.requiredString("id"))
            .addField(Columns.requiredString("url"))
            .addField(Columns.requiredString("duplicate_of"))
            .addField(Types.required(PrimitiveTypeName.FLOAT).named("similarity"))
            .addField(Columns.requiredString("match"))
            .addField(Columns.optionalString("sha256"))
            .addField(Columns.requiredTimestampMillis("ingested_at"))
            .addField(Columns.optionalString("source"))
            .addField(Columns.metadataMap())
            .named("imgindex_duplicate");

    public DuplicateRow {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(url, "url");
        Objects.requireNonNull(duplicateOf, "duplicateOf");
        Objects.requireNonNull(match, "match");
        metadata = Columns.sortedCopy(metadata);
    }

    void write(RecordConsumer rc) {
        rc.startMessage();
        Columns.writeString(rc, "id", 0, id);
        Columns.writeString(rc, "url", 1, url);
        Columns.writeString(rc, "duplicate_of", 2, duplicateOf);
        Columns.writeFloat(rc, "similarity", 3, similarity);
        Columns.writeString(rc, "match", 4, match);
        Columns.writeOptionalString(rc, "sha256", 5, sha256);
        Columns.writeLong(rc, "ingested_at", 6, ingestedAtMillis);
        Columns.writeOptionalString(rc, "source", 7, source);
        Columns.writeMetadata(rc, 8, metadata);
        rc.endMessage();
    }

    /** Reads a row from parquet-hadoop's example {@link Group}. */
    public static DuplicateRow fromGroup(Group g) {
        return new DuplicateRow(
                g.getString("id", 0),
                g.getString("url", 0),
                g.getString("duplicate_of", 0),
                g.getFloat("similarity", 0),
                g.getString("match", 0),
                Columns.readOptionalString(g, "sha256"),
                g.getLong("ingested_at", 0),
                Columns.readOptionalString(g, "source"),
                Columns.readMetadata(g));
    }
}
