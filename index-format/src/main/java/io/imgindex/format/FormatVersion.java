package io.imgindex.format;

/**
 * Versions of the on-disk index format.
 *
 * <p>The version is written into every manifest ({@code format_version}). Readers refuse a generation whose
 * version they do not know rather than guess at its layout. Bump {@link #CURRENT} on any change that an
 * older reader would misread: a renamed or retyped column, a new required file, a change of the shard function.
 * Adding an optional column or manifest field is compatible and does not need a bump.
 */
public final class FormatVersion {

    /** The name written into {@code _manifest.json} as {@code format}. */
    public static final String FORMAT_NAME = "imgindex";

    /**
     * The version this code writes: 2, segments (rows with a prebuilt graph per slice of a shard, shared by
     * generations under {@code segments/}).
     */
    public static final int CURRENT = 2;

    /** Version 1: the index table as plain Parquet files per shard; servers build the graph when they load it. */
    public static final int FLAT_FILES = 1;

    private FormatVersion() {}

    /** Whether this code can read generations written with the given version. */
    public static boolean isSupported(int version) {
        return version == FLAT_FILES || version == CURRENT;
    }

    /** The versions this code reads, for messages. */
    public static String supported() {
        return FLAT_FILES + " and " + CURRENT;
    }
}
