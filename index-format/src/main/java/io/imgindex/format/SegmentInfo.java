package io.imgindex.format;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One segment of a generation (format version 2), as its manifest lists it: an immutable slice of a shard's rows
 * with the ANN index built over them, in {@code segments/shard=<k>/<id>/}. Its files ({@code rows.parquet},
 * {@code graph.jvg}, and {@code pq.bin} when the graph walk uses compressed vectors) are listed in the manifest's
 * {@code files} with this segment's id, size, SHA-256 and rows; the graph's ordinal {@code i} is row {@code i} of
 * {@code rows.parquet}.
 *
 * @param id unique within the index: {@code <run>-<shard>-<writer>-<sequence>}, so that no two runs, writers or
 *     segments share a name
 * @param shard the shard its rows belong to
 * @param rows the rows (and graph nodes)
 * @param graph how its graph was built
 * @param buildMillis how long building the graph (and its compressed vectors) took
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SegmentInfo(String id, int shard, long rows, GraphParams graph, long buildMillis) {

    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,191}");

    public SegmentInfo {
        Objects.requireNonNull(graph, "graph");
        checkId(id);
        if (shard < 0) {
            throw new IndexFormatException("segment " + id + " has shard " + shard);
        }
        if (rows < 0) {
            throw new IndexFormatException("segment " + id + " has " + rows + " rows");
        }
    }

    /** @throws IndexFormatException unless {@code id} is 1 to 192 letters, digits, '.', '_' or '-' */
    public static String checkId(String id) {
        if (id == null || !ID.matcher(id).matches()) {
            throw new IndexFormatException(
                    "a segment id is 1 to 192 letters, digits, '.', '_' or '-', was '" + id + "'");
        }
        return id;
    }
}
