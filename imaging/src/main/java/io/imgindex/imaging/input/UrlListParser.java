package io.imgindex.imaging.input;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.imaging.Reason;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.TreeMap;

/**
 * Parses one URL list into {@link InputRecord}s, one per line (or CSV record), in order.
 *
 * <p>Formats, chosen by the file name (a trailing {@code .gz} is ignored):
 *
 * <ul>
 *   <li>{@code *.csv}: a header row naming the columns, {@code url} required, {@code id} optional, every other
 *       column becomes metadata (empty values are left out);
 *   <li>{@code *.jsonl}, {@code *.ndjson}: one JSON object per line with {@code url} and optional {@code id};
 *       other members become metadata (strings as they are, other values as JSON text, nulls left out); a
 *       line that is a JSON string is a bare URL;
 *   <li>anything else: one URL per line.
 * </ul>
 *
 * Blank lines and lines whose first non-blank character is {@code #} become {@link InputRecord.Status#SKIPPED} records
 * (reason {@code BLANK} or {@code COMMENT}). A line that does not parse becomes a {@link Reason#BAD_RECORD}
 * failure, a URL that does not parse a {@link Reason#BAD_URL} failure: the parser never throws on content.
 * Relative URLs are resolved against the list's own location, like links in a web page. Not thread-safe.
 */
public final class UrlListParser implements Iterator<InputRecord> {

    /** The longest line read; the rest of a longer line is dropped and the line is a bad record. */
    public static final int MAX_LINE_CHARS = 1 << 20;

    /** The most metadata members (CSV columns or JSON members besides url and id) one record may have. */
    public static final int MAX_METADATA_MEMBERS = 64;

    /** The longest metadata name, in characters. */
    public static final int MAX_METADATA_NAME_CHARS = 128;

    /** The largest metadata value, in UTF-8 bytes. */
    public static final int MAX_METADATA_VALUE_BYTES = 4096;

    /** Kind of a skipped blank line, in {@link InputRecord#reason}. */
    public static final String BLANK = "BLANK";

    /** Kind of a skipped comment line, in {@link InputRecord#reason}. */
    public static final String COMMENT = "COMMENT";

    /** The format of a list. */
    public enum Format {
        TEXT,
        CSV,
        JSONL;

        /** The format of a file, by its name. */
        public static Format ofFileName(String name) {
            String n = name.toLowerCase(Locale.ROOT);
            if (n.endsWith(".gz")) {
                n = n.substring(0, n.length() - 3);
            }
            if (n.endsWith(".csv")) {
                return CSV;
            }
            if (n.endsWith(".jsonl") || n.endsWith(".ndjson")) {
                return JSONL;
            }
            return TEXT;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_RAW_IN_FAILURE = 2048;

    private final BoundedLineReader lines;
    private final URI base;
    private final String sourceName;
    private final Format format;
    private List<String> csvHeader;
    private int csvUrlColumn = -1;
    private int csvIdColumn = -1;
    private String csvHeaderProblem;
    private InputRecord next;
    private boolean done;

    /**
     * @param reader the list's characters (UTF-8 decoded by the caller)
     * @param base the list's own URI, against which relative URLs are resolved
     * @param sourceName how the list is named in {@link InputRecord#source}
     * @param format the list's format
     */
    public UrlListParser(Reader reader, URI base, String sourceName, Format format) {
        this.lines = new BoundedLineReader(reader, MAX_LINE_CHARS);
        this.base = base;
        this.sourceName = sourceName;
        this.format = format;
    }

    /**
     * Parses one message of a queue: a JSON object {@code {"url": …, "id": …, other members as metadata}}, a JSON
     * string, or a bare URL. Never throws on content: a body that is none of these (empty, several lines, not valid
     * JSON, no {@code url}) is a {@link Reason#BAD_RECORD} failure, a URL that does not parse a {@link
     * Reason#BAD_URL} one. Relative URLs stay relative (and fail when fetched): a message has no location.
     *
     * @param body the message body, UTF-8 decoded
     * @param source how the message is named in {@link InputRecord#source}
     */
    public static InputRecord parseMessage(String body, String source) {
        UrlListParser parser = new UrlListParser(Reader.nullReader(), URI.create(""), source, Format.JSONL);
        String text = body.strip();
        if (text.isEmpty()) {
            return parser.failed(Reason.BAD_RECORD, "message is empty", "", source);
        }
        if (text.length() > MAX_LINE_CHARS) {
            return parser.failed(
                    Reason.BAD_RECORD, "message is longer than " + MAX_LINE_CHARS + " characters", text, source);
        }
        char first = text.charAt(0);
        if (first == '{' || first == '[' || first == '"') {
            return parser.parseJson(text, source);
        }
        if (text.chars().anyMatch(Character::isWhitespace)) {
            return parser.failed(
                    Reason.BAD_RECORD,
                    "message is neither JSON nor a single URL (it contains white space)",
                    text,
                    source);
        }
        return parser.record(null, text, Map.of(), source);
    }

    @Override
    public boolean hasNext() {
        if (next == null && !done) {
            try {
                next = parseNext();
            } catch (IOException e) {
                throw new UncheckedIOException("reading " + sourceName, e);
            }
            done = next == null;
        }
        return next != null;
    }

    @Override
    public InputRecord next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        InputRecord item = next;
        next = null;
        return item;
    }

    private InputRecord parseNext() throws IOException {
        while (true) {
            BoundedLineReader.Line line = lines.next();
            if (line == null) {
                return null;
            }
            String source = sourceName + ":" + line.number();
            String trimmed = line.text().strip();
            if (line.tooLong()) {
                return failed(
                        Reason.BAD_RECORD, "line is longer than " + MAX_LINE_CHARS + " characters", trimmed, source);
            }
            if (trimmed.isEmpty()) {
                return skipped(BLANK, source);
            }
            if (trimmed.startsWith("#")) {
                return skipped(COMMENT, source);
            }
            switch (format) {
                case TEXT:
                    return record(null, trimmed, Map.of(), source);
                case JSONL:
                    return parseJson(trimmed, source);
                case CSV:
                    if (csvHeader == null) {
                        readCsvHeader(line.text(), source);
                        continue;
                    }
                    return parseCsv(line.text(), source);
                default:
                    throw new IllegalStateException("unknown format " + format);
            }
        }
    }

    private void readCsvHeader(String text, String source) throws IOException {
        List<String> header;
        try {
            header = CsvRecord.split(text, this::continuation);
        } catch (CsvRecord.MalformedException e) {
            // Every record of the file then fails with this reason: one bad header is not a job failure.
            csvHeader = List.of();
            csvHeaderProblem = "the CSV header at " + source + " does not parse: " + e.getMessage();
            return;
        }
        for (int i = 0; i < header.size(); i++) {
            String name = header.get(i).strip().toLowerCase(Locale.ROOT);
            header.set(i, header.get(i).strip());
            if (name.equals("url")) {
                csvUrlColumn = i;
            } else if (name.equals("id")) {
                csvIdColumn = i;
            }
        }
        csvHeader = header;
    }

    private InputRecord parseCsv(String text, String source) throws IOException {
        if (csvHeaderProblem != null) {
            return failed(Reason.BAD_RECORD, csvHeaderProblem, text, source);
        }
        if (csvUrlColumn < 0) {
            return failed(Reason.BAD_RECORD, "the CSV header " + csvHeader + " has no url column", text, source);
        }
        List<String> fields;
        try {
            fields = CsvRecord.split(text, this::continuation);
        } catch (CsvRecord.MalformedException e) {
            return failed(Reason.BAD_RECORD, "CSV record does not parse: " + e.getMessage(), text, source);
        }
        if (fields.size() > csvHeader.size()) {
            return failed(
                    Reason.BAD_RECORD,
                    "CSV record has " + fields.size() + " fields, the header has " + csvHeader.size(),
                    text,
                    source);
        }
        Map<String, String> metadata = new TreeMap<>();
        for (int i = 0; i < fields.size(); i++) {
            if (i != csvUrlColumn && i != csvIdColumn && !fields.get(i).isEmpty()) {
                metadata.put(csvHeader.get(i), fields.get(i));
            }
        }
        String url = csvUrlColumn < fields.size() ? fields.get(csvUrlColumn).strip() : "";
        String id = csvIdColumn >= 0 && csvIdColumn < fields.size()
                ? fields.get(csvIdColumn).strip()
                : "";
        if (url.isEmpty()) {
            return failed(Reason.BAD_RECORD, "CSV record has an empty url", text, source);
        }
        return record(id.isEmpty() ? null : id, url, metadata, source);
    }

    private InputRecord parseJson(String text, String source) {
        JsonNode node;
        try {
            node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
            return failed(Reason.BAD_RECORD, "line is not valid JSON: " + e.getOriginalMessage(), text, source);
        }
        if (node.isTextual()) {
            if (node.textValue().isBlank()) {
                return failed(Reason.BAD_RECORD, "JSON string is empty: expected a URL", text, source);
            }
            return record(null, node.textValue().strip(), Map.of(), source);
        }
        if (!node.isObject()) {
            return failed(
                    Reason.BAD_RECORD,
                    "line is JSON " + node.getNodeType().name().toLowerCase(Locale.ROOT)
                            + ", expected an object with a url",
                    text,
                    source);
        }
        JsonNode url = node.get("url");
        if (url == null || !url.isTextual() || url.textValue().isBlank()) {
            return failed(Reason.BAD_RECORD, "JSON object has no string member 'url'", text, source);
        }
        JsonNode id = node.get("id");
        String idText = null;
        if (id != null && !id.isNull()) {
            if (!id.isTextual() && !id.isIntegralNumber()) {
                return failed(Reason.BAD_RECORD, "JSON member 'id' must be a string or an integer", text, source);
            }
            idText = id.asText().strip();
        }
        Map<String, String> metadata = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("url")
                    || e.getKey().equals("id")
                    || e.getValue().isNull()) {
                continue;
            }
            metadata.put(
                    e.getKey(),
                    e.getValue().isTextual()
                            ? e.getValue().textValue()
                            : e.getValue().toString());
        }
        return record(
                idText == null || idText.isEmpty() ? null : idText,
                url.textValue().strip(),
                metadata,
                source);
    }

    private InputRecord record(String givenId, String reference, Map<String, String> metadata, String source) {
        String url;
        String badUrl = null;
        try {
            url = base.resolve(new URI(reference)).toString();
        } catch (URISyntaxException | IllegalArgumentException e) {
            url = reference;
            badUrl = "URL does not parse: " + e.getMessage();
        }
        String tooMuch = metadataProblem(metadata);
        if (tooMuch != null) {
            // The failure row keeps the URL and the id, not the metadata that was refused.
            String id = givenId != null && ItemIds.problemWith(givenId) == null ? givenId : ItemIds.fromUrl(url);
            return InputRecord.pending(id, url, Map.of(), source).fail(Reason.BAD_RECORD, tooMuch);
        }
        if (badUrl != null) {
            return InputRecord.pending(
                            givenId != null ? givenId : ItemIds.fromUrl(reference), reference, metadata, source)
                    .fail(Reason.BAD_URL, badUrl);
        }
        if (givenId != null) {
            String problem = ItemIds.problemWith(givenId);
            if (problem != null) {
                return InputRecord.pending(null, url, metadata, source).fail(Reason.BAD_RECORD, problem);
            }
        }
        return InputRecord.pending(givenId != null ? givenId : ItemIds.fromUrl(url), url, metadata, source);
    }

    /** Why a record's metadata is refused, or null: too many members, a name too long, a value too large. */
    static String metadataProblem(Map<String, String> metadata) {
        if (metadata.size() > MAX_METADATA_MEMBERS) {
            return "the record has " + metadata.size() + " metadata members; at most " + MAX_METADATA_MEMBERS;
        }
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            String name = e.getKey();
            if (name.length() > MAX_METADATA_NAME_CHARS) {
                return "metadata name '" + name.substring(0, 32) + "...' has " + name.length() + " characters; at most "
                        + MAX_METADATA_NAME_CHARS;
            }
            String value = e.getValue();
            int bytes = value.length() > MAX_METADATA_VALUE_BYTES
                    ? value.length() // at least that many bytes: no need to encode it
                    : value.getBytes(StandardCharsets.UTF_8).length;
            if (bytes > MAX_METADATA_VALUE_BYTES) {
                return "metadata '" + name + "' is " + (value.length() > MAX_METADATA_VALUE_BYTES ? "over " : "")
                        + bytes + " bytes; at most " + MAX_METADATA_VALUE_BYTES;
            }
        }
        return null;
    }

    private InputRecord failed(Reason reason, String message, String raw, String source) {
        String shown = raw.length() > MAX_RAW_IN_FAILURE ? raw.substring(0, MAX_RAW_IN_FAILURE) + "..." : raw;
        return InputRecord.pending(null, shown, Map.of(), source).fail(reason, message);
    }

    private InputRecord skipped(String kind, String source) {
        return InputRecord.skipped(kind, source);
    }

    private String continuation() throws IOException {
        BoundedLineReader.Line more = lines.next();
        return more == null ? null : more.text();
    }
}
