package io.imgindex.format;

import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where things live inside an index, as paths relative to the index root {@code <output>/<name>/}.
 *
 * <pre>
 * &lt;output&gt;/&lt;name&gt;/
 *   _LATEST                                 pointer to the newest complete generation (JSON, replaced atomically)
 *   generation=&lt;n&gt;/
 *     shard=&lt;k&gt;/part-*.parquet             indexed items of shard k        ({@link Table#INDEX})
 *     duplicates/part-*.parquet             items recorded as duplicates    ({@link Table#DUPLICATES})
 *     failures/part-*.parquet               inputs that failed, with reason ({@link Table#FAILURES})
 *     _manifest.json                        written last: a generation without it is incomplete
 *   streams/&lt;run&gt;/                          a streaming run's files, shared by the generations it commits
 *     shard=&lt;k&gt;/ duplicates/ failures/      as in a generation; listed by manifests as {@code ../streams/…}
 * </pre>
 *
 * Names starting with {@code _} or {@code .} are not data (Hive, Spark, DuckDB and pyarrow skip them), which
 * is why in-progress files start with a dot and the manifest and pointer with an underscore. Paths use
 * {@code /} and are relative, so the same strings work on a local folder and on S3.
 */
public final class IndexLayout {

    /** The manifest of a generation, relative to the generation folder. */
    public static final String MANIFEST = "_manifest.json";

    /** The pointer to the latest complete generation, relative to the index root. */
    public static final String LATEST = "_LATEST";

    /** The extension of every data file. */
    public static final String PARQUET_SUFFIX = ".parquet";

    /** The folder of streaming runs' files, relative to the index root. */
    public static final String STREAMS = "streams";

    /** How a manifest names a file relative to the index root rather than to the generation folder. */
    public static final String INDEX_ROOT_PREFIX = "../";

    private static final Pattern STREAM_RUN = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private static final Pattern GENERATION_DIR = Pattern.compile("generation=(0|[1-9][0-9]{0,17})");
    private static final Pattern INDEX_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

    private IndexLayout() {}

    /** The folder of generation {@code n}, relative to the index root: {@code generation=<n>}. */
    public static String generationDir(long generation) {
        if (generation < 0) {
            throw new IllegalArgumentException("generation must not be negative, was " + generation);
        }
        return "generation=" + generation;
    }

    /** The generation number of a folder name such as {@code generation=3}, or empty if it is not one. */
    public static OptionalLong parseGenerationDir(String name) {
        Matcher m = GENERATION_DIR.matcher(name);
        return m.matches() ? OptionalLong.of(Long.parseLong(m.group(1))) : OptionalLong.empty();
    }

    /** The folder of a table's files inside a generation; for the index table, the shard's folder. */
    public static String tableDir(Table table, int shard) {
        return table == Table.INDEX ? "shard=" + shard : table.dirName();
    }

    /**
     * The name of a data file: {@code part-<writer>-<attempt>-<sequence>.parquet}. The writer index and
     * attempt keep names of parallel and retried writers apart; the manifest says which files count.
     */
    public static String partFileName(int writer, int attempt, int sequence) {
        return String.format("part-%05d-%d-%d%s", writer, attempt, sequence, PARQUET_SUFFIX);
    }

    /**
     * The name of a streaming writer's data file: {@code part-<writer>-<token>-<sequence>.parquet}, where the token
     * is drawn when the writer starts, so that no restart, failover or restore ever reuses a name.
     */
    public static String partFileName(int writer, String token, int sequence) {
        return String.format("part-%05d-%s-%d%s", writer, token, sequence, PARQUET_SUFFIX);
    }

    /**
     * The token of a BATCH writer's files: the run id (dashes dropped, so the name still splits) and the attempt,
     * so that two runs, even two that took the same generation number on a store without atomic creates, never
     * write the same file name.
     */
    public static String batchToken(String runId, int attempt) {
        return runId.replace("-", "") + "a" + attempt;
    }

    /** The attempt or token part of a data file name made by {@link #partFileName}, or null. */
    public static String partFileToken(String name) {
        String base = name.startsWith(".") ? name.substring(1) : name;
        if (!base.startsWith("part-")) {
            return null;
        }
        String[] parts = base.split("-", 4);
        return parts.length == 4 ? parts[2] : null;
    }

    /** The folder of segments, relative to the index root. */
    public static final String SEGMENTS = "segments";

    /**
     * A segment's folder relative to the index root: {@code segments/shard=<k>/<id>}. Hive-style, so DuckDB's
     * {@code read_parquet} with {@code hive_partitioning} adds a shard column (for the rows of one generation, read
     * the files its manifest lists).
     */
    public static String segmentDir(int shard, String segmentId) {
        SegmentInfo.checkId(segmentId);
        if (shard < 0) {
            throw new IllegalArgumentException("shard must not be negative, was " + shard);
        }
        return SEGMENTS + "/shard=" + shard + "/" + segmentId;
    }

    /** A streaming run's folder relative to the index root: {@code streams/<run>}. */
    public static String streamDir(String run) {
        if (run == null || !STREAM_RUN.matcher(run).matches()) {
            throw new IllegalArgumentException(
                    "a stream run id is 1 to 128 letters, digits, '.', '_' or '-', was '" + run + "'");
        }
        return STREAMS + "/" + run;
    }

    /**
     * What is wrong with a manifest's file path, or null: it must be relative, use {@code /}, and contain no
     * {@code .} or {@code ..} segment except one leading {@code ..} (relative to the index root), so a manifest
     * can never name a file outside its index.
     */
    public static String problemWithFilePath(String path) {
        if (path.isEmpty()) {
            return "is empty";
        }
        if (path.startsWith("/") || path.contains("\\") || path.contains(":")) {
            return "must be a relative path with '/' separators and no scheme";
        }
        String rest = path.startsWith(INDEX_ROOT_PREFIX) ? path.substring(INDEX_ROOT_PREFIX.length()) : path;
        for (String segment : rest.split("/", -1)) {
            if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
                return "has an empty, '.' or '..' segment (only one leading '../' is allowed)";
            }
        }
        return null;
    }

    /**
     * Where a file a generation's manifest lists lives, relative to the index root: in the generation's folder,
     * or, for a shared file ({@code ../…}), where the path points.
     */
    public static String rootRelative(long generation, String filePath) {
        return filePath.startsWith(INDEX_ROOT_PREFIX)
                ? filePath.substring(INDEX_ROOT_PREFIX.length())
                : generationDir(generation) + "/" + filePath;
    }

    /** Whether a file name is a finished data file (Parquet, or a duplicates file's thumbnail pack; not hidden, not in progress). */
    public static boolean isDataFile(String name) {
        return (name.endsWith(PARQUET_SUFFIX) || name.endsWith(THUMBNAILS_SUFFIX))
                && !name.startsWith(".")
                && !name.startsWith("_");
    }

    /** The suffix of a duplicates file's thumbnail pack ({@link #thumbnailsBeside}). */
    public static final String THUMBNAILS_SUFFIX = ".thumbnails.bin";

    /**
     * Checks an index name: 1 to 128 characters of letters, digits, dot, underscore and dash, starting with a
     * letter or digit (it becomes a folder on a file system and a key prefix on S3).
     *
     * @throws IllegalArgumentException naming the bad value
     */
    public static String checkIndexName(String name) {
        if (name == null || !INDEX_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("index name '"
                    + name
                    + "' is not valid: use 1-128 letters, digits, '.', '_' or '-', starting with a"
                    + " letter or digit");
        }
        return name;
    }

    /**
     * The thumbnail pack beside a duplicates file: {@code part-….parquet} has {@code part-….thumbnails.bin}, row
     * by row (kind {@code thumbnails} in the manifest).
     */
    public static String thumbnailsBeside(String parquetPath) {
        if (!parquetPath.endsWith(".parquet")) {
            throw new IllegalArgumentException("not a Parquet file: " + parquetPath);
        }
        return parquetPath.substring(0, parquetPath.length() - ".parquet".length()) + THUMBNAILS_SUFFIX;
    }
}
