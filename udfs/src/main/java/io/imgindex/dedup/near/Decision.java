package io.imgindex.dedup.near;

/**
 * What became of an item that passed exact-duplicate removal, remembered so that its exact copies (which skipped
 * the embedding) end where it ended. A Flink POJO.
 */
public class Decision {

    public static final String KEPT = "kept";
    public static final String DUPLICATE = "duplicate";
    public static final String FAILED = "failed";

    /** {@link #KEPT}, {@link #DUPLICATE} or {@link #FAILED}. */
    public String outcome;

    /** For a duplicate: the leader's id; for a failure: the reason code. */
    public String target;

    public float similarity;

    /** For a failure: its message. */
    public String message;

    public Decision() {}

    public static Decision kept() {
        Decision d = new Decision();
        d.outcome = KEPT;
        return d;
    }

    public static Decision duplicateOf(String leader, float similarity) {
        Decision d = new Decision();
        d.outcome = DUPLICATE;
        d.target = leader;
        d.similarity = similarity;
        return d;
    }

    public static Decision failed(String reason, String message) {
        Decision d = new Decision();
        d.outcome = FAILED;
        d.target = reason;
        d.message = message;
        return d;
    }
}
