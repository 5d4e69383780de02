package io.imgindex.imaging.input;

import io.imgindex.imaging.Reason;
import java.util.Map;

/**
 * One record of a URL list or one queue message, as read: its id, URL and metadata, where it came from, and whether
 * it is to be fetched ({@link Status#PENDING}), is a failure already ({@link Status#FAILED}, with a reason code and
 * a message) or is no record at all ({@link Status#SKIPPED}: a blank line, a comment, a header, with its kind as the
 * reason). The job makes its pipeline element from it.
 *
 * @param id the record's id (given, or derived from the URL); null when it could not be read
 * @param url the URL as resolved, or the raw text of a record that did not parse
 * @param metadata the record's other columns or members
 * @param source the list and line (or the queue and message) it came from
 * @param status what becomes of it
 * @param reason a {@link Reason} code when failed, the kind of line when skipped, else null
 * @param message why it failed, else null
 */
public record InputRecord(
        String id,
        String url,
        Map<String, String> metadata,
        String source,
        Status status,
        String reason,
        String message) {

    /** What becomes of a record. */
    public enum Status {
        PENDING,
        FAILED,
        SKIPPED
    }

    public InputRecord {
        metadata = metadata == null ? Map.of() : metadata;
    }

    /** A record to fetch. */
    public static InputRecord pending(String id, String url, Map<String, String> metadata, String source) {
        return new InputRecord(id, url, metadata, source, Status.PENDING, null, null);
    }

    /** The same record, failed. */
    public InputRecord fail(Reason why, String explanation) {
        return new InputRecord(id, url, metadata, source, Status.FAILED, why.name(), explanation);
    }

    /** A line that is no record: {@code kind} says which (blank, comment, header). */
    public static InputRecord skipped(String kind, String source) {
        return new InputRecord(null, "", Map.of(), source, Status.SKIPPED, kind, null);
    }
}
