package io.imgindex.item;

/** Where an {@link Item} stands. Every item ends in exactly one terminal status. */
public enum Status {
    /** Still moving through the pipeline. */
    PENDING,
    /** Written to the index table. */
    INDEXED,
    /** Written to the duplicates table, with the id it duplicates. */
    DUPLICATE,
    /** Written to the failures table, with a reason code. */
    FAILED,
    /** A blank or comment line of an input file: counted, not a record. */
    SKIPPED;

    /** Whether the item has reached its outcome. */
    public boolean isTerminal() {
        return this != PENDING;
    }
}
