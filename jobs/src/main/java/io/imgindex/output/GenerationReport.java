package io.imgindex.output;

import io.imgindex.format.Counts;
import io.imgindex.format.IndexLayout;
import io.imgindex.format.Manifest;
import io.imgindex.format.ManifestFile;
import io.imgindex.format.SegmentInfo;
import io.imgindex.format.Table;
import io.imgindex.item.PojoTypes;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInfo;
import org.apache.flink.api.common.typeinfo.TypeInfoFactory;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;

/**
 * What one task contributes to a generation, sent to the committer when the task's input ends: the input
 * tally (records read, lines skipped) from a reader task, or the files written, failure reasons and metadata
 * columns from a writer task. The committer adds them up.
 */
@TypeInfo(GenerationReport.TypeFactory.class)
public class GenerationReport {

    public FileEntry[] files = new FileEntry[0];
    /** The segments the files of the index table belong to (format version 2). */
    public SegmentEntry[] segments = new SegmentEntry[0];

    public long read;
    public long skippedLines;
    public Map<String, Long> failedByReason = new HashMap<>();
    /** Duplicate rows by how they matched ({@code exact}, {@code near}). */
    public Map<String, Long> duplicatesByMatch = new HashMap<>();
    /** Metadata key to {@code number} or {@code string}. */
    public Map<String, String> metadataColumns = new HashMap<>();

    /**
     * STREAMING: the checkpoint whose barrier followed this report ({@link #END_OF_INPUT} when the input ended);
     * the report counts what happened since the task's previous report.
     */
    public long checkpoint = END_OF_INPUT;

    /** STREAMING: the token in the names of the reporting writer's files (null for the input tally). */
    public String writerToken;

    /** {@link #checkpoint} of a report sent because the input ended. */
    public static final long END_OF_INPUT = Long.MAX_VALUE;

    public GenerationReport() {}

    /** Flink type information without Kryo: the maps get Flink's map serializer. */
    public static class TypeFactory extends TypeInfoFactory<GenerationReport> {
        @Override
        public TypeInformation<GenerationReport> createTypeInfo(Type t, Map<String, TypeInformation<?>> params) {
            return PojoTypes.of(
                    GenerationReport.class,
                    Map.of(
                            "failedByReason", Types.MAP(Types.STRING, Types.LONG),
                            "duplicatesByMatch", Types.MAP(Types.STRING, Types.LONG),
                            "metadataColumns", Types.MAP(Types.STRING, Types.STRING)));
        }
    }

    /**
     * A committed generation as a report that a run builds on (an append, a stream on a base): its files named from
     * the index root (where they stay), its segments, counts and metadata columns. Records it had in flight (a
     * stream's) are left out: they belong to the run that read them.
     */
    public static GenerationReport ofBase(Manifest base) {
        GenerationReport r = new GenerationReport();
        long generation = base.generation();
        r.files = base.files().stream()
                .map(f -> {
                    FileEntry e = FileEntry.of(f);
                    e.path = IndexLayout.INDEX_ROOT_PREFIX + IndexLayout.rootRelative(generation, f.path());
                    return e;
                })
                .toArray(FileEntry[]::new);
        r.segments = base.segments().stream().map(SegmentEntry::of).toArray(SegmentEntry[]::new);
        Counts c = base.counts();
        r.read = c.indexed() + c.duplicates() + c.failed();
        r.skippedLines = c.skippedLines();
        r.failedByReason.putAll(c.failedByReason());
        r.duplicatesByMatch.putAll(c.duplicatesByMatch());
        r.metadataColumns.putAll(base.metadataColumns());
        return r;
    }

    /** Adds another report's files and counts to this one (a total; its checkpoint and token are not kept). */
    public void add(GenerationReport r) {
        FileEntry[] all = Arrays.copyOf(files, files.length + r.files.length);
        System.arraycopy(r.files, 0, all, files.length, r.files.length);
        files = all;
        SegmentEntry[] allSegments = Arrays.copyOf(segments, segments.length + r.segments.length);
        System.arraycopy(r.segments, 0, allSegments, segments.length, r.segments.length);
        segments = allSegments;
        read += r.read;
        skippedLines += r.skippedLines;
        r.failedByReason.forEach((k, v) -> failedByReason.merge(k, v, Long::sum));
        r.duplicatesByMatch.forEach((k, v) -> duplicatesByMatch.merge(k, v, Long::sum));
        r.metadataColumns.forEach((k, v) -> metadataColumns.merge(k, v, GenerationReport::mergeColumnType));
    }

    /** Whether the report brings anything: files, or records read or skipped (not named as a bean property). */
    public boolean bringsAnything() {
        return files.length > 0 || read > 0 || skippedLines > 0;
    }

    /** The segments as a manifest lists them. */
    public List<SegmentInfo> segmentInfos() {
        List<SegmentInfo> out = new ArrayList<>(segments.length);
        for (SegmentEntry s : segments) {
            out.add(s.toSegmentInfo());
        }
        return out;
    }

    /** The files as a manifest lists them. */
    public List<ManifestFile> manifestFiles() {
        List<ManifestFile> out = new ArrayList<>(files.length);
        for (FileEntry f : files) {
            out.add(f.toManifestFile());
        }
        return out;
    }

    /**
     * What a total adds up to: rows per table from the files, the rest from the reports.
     *
     * @param streaming whether records read but not written yet count as in flight (a stream's commit); in a
     *     finished run nothing is in flight
     */
    public Counts counts(boolean streaming) {
        long indexed = 0;
        long duplicates = 0;
        long failed = 0;
        for (FileEntry f : files) {
            if (!f.holdsRows()) {
                continue;
            }
            switch (Table.ofName(f.table)) {
                case INDEX -> indexed += f.rows;
                case DUPLICATES -> duplicates += f.rows;
                default -> failed += f.rows;
            }
        }
        return new Counts(
                read,
                skippedLines,
                indexed,
                duplicates,
                failed,
                failedByReason,
                duplicatesByMatch,
                streaming ? read - indexed - duplicates - failed : 0);
    }

    /** Merges a column's type seen in two places: a column is a number only if it is one everywhere. */
    static String mergeColumnType(String a, String b) {
        if (a == null) {
            return b;
        }
        return a.equals(b) ? a : "string";
    }
}
