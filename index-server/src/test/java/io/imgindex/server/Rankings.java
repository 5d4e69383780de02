package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * Compares a server's ranking with an exact oracle's up to what float arithmetic decides. The server scores with the
 * Vector API (lanes of the machine's widest species, summed in another order than the scalar oracle), so two hits
 * whose scores differ in the last bits may come in either order, and the k-th place may go to either of two near
 * ties. What is guaranteed: the same number of distinct hits, and at every rank a score within {@link #TOLERANCE} of
 * the oracle's score at that rank.
 */
final class Rankings {

    /**
     * Dot products of unit vectors of a few hundred float dimensions agree to about 1e-6 across summation orders;
     * 1e-5 leaves a margin and is still far below the gaps between neighbours of the seeded data (about 1e-3).
     */
    static final double TOLERANCE = 1e-5;

    private Rankings() {}

    /** {@code got} ranks as {@code oracle} does, scores by {@code score} compared rank by rank. */
    static void assertSameRanking(List<String> got, List<String> oracle, ToDoubleFunction<String> score) {
        assertThat(got).as("hits").doesNotHaveDuplicates().hasSameSizeAs(oracle);
        for (int i = 0; i < got.size(); i++) {
            assertThat(score.applyAsDouble(got.get(i)))
                    .as(
                            "score of hit %d (%s) against the oracle's %s; got %s, oracle %s",
                            i, got.get(i), oracle.get(i), got, oracle)
                    .isCloseTo(score.applyAsDouble(oracle.get(i)), within(TOLERANCE));
        }
    }

    /** The row number at the end of a test id ({@code id-17} is 17). */
    static int row(String id) {
        return Integer.parseInt(id.substring(id.lastIndexOf('-') + 1));
    }
}
