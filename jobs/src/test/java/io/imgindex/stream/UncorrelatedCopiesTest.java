package io.imgindex.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class UncorrelatedCopiesTest {

    private static final String BODY = "sha256:ab12";

    /** The source's held identifiers: processed and not yet acknowledged. */
    private final Set<String> held = new HashSet<>();

    private final UncorrelatedCopies copies = new UncorrelatedCopies();

    private boolean first() {
        return copies.admit(UncorrelatedCopies.identifier(BODY, false), held::add);
    }

    private boolean redelivered() {
        return copies.admit(UncorrelatedCopies.identifier(BODY, true), held::add);
    }

    @Test
    void copiesOfOneBodyAreEachProcessedUnderTheirOwnIdentifier() {
        assertThat(first()).isTrue();
        assertThat(first()).isTrue();
        assertThat(first()).isTrue();
        assertThat(held).containsExactlyInAnyOrder(BODY, BODY + " #2", BODY + " #3");
    }

    @Test
    void aRedeliveryOfAProcessedCopyIsDroppedOncePerCopy() {
        // The previous run processed two copies before its checkpoint; three are redelivered after the failure:
        // the two it processed, and one it had not.
        held.add(BODY);
        held.add(BODY + " #2");
        assertThat(redelivered()).as("first processed copy").isFalse();
        assertThat(redelivered()).as("second processed copy").isFalse();
        assertThat(redelivered())
                .as("the copy the previous run never processed")
                .isTrue();
        assertThat(held).contains(BODY + " #3");
        // A new copy published now is processed too.
        assertThat(first()).isTrue();
        assertThat(held).contains(BODY + " #4");
    }

    @Test
    void afterAnAcknowledgementOnlyWhatIsHeldCounts() {
        held.add(BODY);
        assertThat(redelivered()).isFalse();
        copies.acknowledged();
        held.clear(); // the checkpoint completed: the source forgets what it acknowledged
        assertThat(redelivered()).as("nothing held any more: processed").isTrue();
        assertThat(held).containsExactly(BODY);
    }

    @Test
    void correlatedIdentifiersAreNotTakenForUncorrelatedOnes() {
        assertThat(UncorrelatedCopies.isUncorrelated("order-7 " + "ab".repeat(32)))
                .isFalse();
        assertThat(UncorrelatedCopies.isUncorrelated(UncorrelatedCopies.identifier(BODY, false)))
                .isTrue();
        assertThat(UncorrelatedCopies.isUncorrelated("")).isFalse();
    }
}
