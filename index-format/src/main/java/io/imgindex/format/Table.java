package io.imgindex.format;

/** The three tables of a generation. */
public enum Table {
    /** Indexed items with their vectors, split into shards. */
    INDEX("index"),
    /** Items not indexed because they duplicate an indexed one. */
    DUPLICATES("duplicates"),
    /** Inputs that could not be indexed, with a reason code. */
    FAILURES("failures");

    private final String dirName;

    Table(String dirName) {
        this.dirName = dirName;
    }

    /** The table's name in the manifest, and the folder of the duplicates and failures tables. */
    public String dirName() {
        return dirName;
    }

    /** The table of a manifest name. */
    public static Table ofName(String name) {
        for (Table t : values()) {
            if (t.dirName.equals(name)) {
                return t;
            }
        }
        throw new IndexFormatException("unknown table '" + name + "' in manifest");
    }
}
