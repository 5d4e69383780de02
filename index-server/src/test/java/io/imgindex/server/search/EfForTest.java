package io.imgindex.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** A query's ef is for a segment of 50,000 rows; a larger segment walks with more candidates, never fewer. */
class EfForTest {

    @Test
    void growsWithTheSquareRootOfASegmentsSizePastTheReference() {
        assertThat(Segment.efFor(100, 1)).isEqualTo(100);
        assertThat(Segment.efFor(100, Segment.EF_REFERENCE_ROWS)).isEqualTo(100);
        assertThat(Segment.efFor(100, 200_000)).isEqualTo(200);
        assertThat(Segment.efFor(100, 1_250_000)).isEqualTo(500);
        assertThat(Segment.efFor(64, 50_001)).isGreaterThanOrEqualTo(64);
        assertThat(Segment.efFor(Integer.MAX_VALUE / 2, Integer.MAX_VALUE))
                .as("no overflow")
                .isPositive();
    }
}
