package io.imgindex.format;

import java.util.Collections;
import java.util.Map;
import java.util.TreeMap;

/**
 * What happened to every input of a run. Every record read ends in exactly one of indexed, duplicates or
 * failed, so {@code read == indexed + duplicates + failed}; skipped lines (blank, {@code #} comments) are
 * not records and are counted apart.
 *
 * @param read input records read (lines that were not skipped)
 * @param skippedLines blank and comment lines that were skipped
 * @param indexed rows of the index table
 * @param duplicates rows of the duplicates table
 * @param failed rows of the failures table
 * @param failedByReason failed rows by reason code, sorted by code
 * @param duplicatesByMatch duplicate rows by how they matched ({@code exact}, {@code near}); empty in manifests
 *     written before it was recorded
 * @param inFlight STREAMING only: records read before the commit's checkpoint whose outcome was not written yet
 *     (in an operator's checkpointed state: a fetch or embedding under way, an exact copy waiting for its
 *     original); they are in a later commit. Always 0 in BATCH.
 */
public record Counts(
        long read,
        long skippedLines,
        long indexed,
        long duplicates,
        long failed,
        Map<String, Long> failedByReason,
        Map<String, Long> duplicatesByMatch,
        long inFlight) {

    public Counts {
        failedByReason = failedByReason == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(failedByReason));
        duplicatesByMatch =
                duplicatesByMatch == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(duplicatesByMatch));
    }

    /** Counts without duplicates by match. */
    public Counts(
            long read,
            long skippedLines,
            long indexed,
            long duplicates,
            long failed,
            Map<String, Long> failedByReason) {
        this(read, skippedLines, indexed, duplicates, failed, failedByReason, Map.of(), 0);
    }

    /**
     * Whether the counts add up: every record read is accounted for once (or is in flight), and the reasons sum to
     * failed.
     */
    public boolean balanced() {
        long byReason =
                failedByReason.values().stream().mapToLong(Long::longValue).sum();
        long byMatch =
                duplicatesByMatch.values().stream().mapToLong(Long::longValue).sum();
        return inFlight >= 0
                && read == indexed + duplicates + failed + inFlight
                && failed == byReason
                && (duplicatesByMatch.isEmpty() || duplicates == byMatch);
    }

    /**
     * One line for people: {@code read 40 = indexed 33 + duplicates 4 (exact 2, near 2) + failed 3 (skipped lines
     * 3)}.
     */
    public String summary() {
        StringBuilder byMatch = new StringBuilder();
        duplicatesByMatch.forEach((k, v) -> byMatch.append(byMatch.length() == 0 ? " (" : ", ")
                .append(k)
                .append(' ')
                .append(v));
        if (byMatch.length() > 0) {
            byMatch.append(')');
        }
        return String.format(
                "read %d = indexed %d + duplicates %d%s + failed %d%s (skipped lines %d)%s",
                read,
                indexed,
                duplicates,
                byMatch,
                failed,
                inFlight == 0 ? "" : " + in flight " + inFlight,
                skippedLines,
                balanced() ? "" : " DOES NOT ADD UP");
    }

    /** Failures by reason for people, sorted by code: {@code HTTP_404 2, NOT_FOUND 1}; empty when none failed. */
    public String failuresByReason() {
        StringBuilder s = new StringBuilder();
        failedByReason.forEach((k, v) ->
                s.append(s.length() == 0 ? "" : ", ").append(k).append(' ').append(v));
        return s.toString();
    }
}
