package io.imgindex.output;

import io.imgindex.item.PojoTypes;
import java.lang.reflect.Type;
import java.util.HashMap;
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

    /** Merges a column's type seen in two places: a column is a number only if it is one everywhere. */
    static String mergeColumnType(String a, String b) {
        if (a == null) {
            return b;
        }
        return a.equals(b) ? a : "string";
    }
}
