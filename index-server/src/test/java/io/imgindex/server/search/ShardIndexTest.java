package io.imgindex.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.imgindex.format.IndexColumnsTestAccess;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ShardIndexTest {

    static final int N = 4000;
    static final int DIM = 48;
    static ShardIndex index;

    @BeforeAll
    static void build() {
        float[] vectors = SeededVectors.generate(N, DIM, 40, 7);
        index = ShardIndex.build(
                0,
                IndexColumnsTestAccess.of(
                        vectors,
                        DIM,
                        i -> Map.of("colour", i % 3 == 0 ? "red" : "blue", "price", String.valueOf(i % 100))),
                HnswParams.defaults());
    }

    @Test
    void approximateSearchRecallsTheExactNeighbours() throws Exception {
        double recall = 0;
        int queries = 50;
        for (int q = 0; q < queries; q++) {
            float[] query = SeededVectors.generate(1, DIM, 40, 1000 + q);
            Set<Integer> exact = ords(index.exact(query, 10, null));
            Set<Integer> approx = ords(index.approximate(query, 10, 100, null));
            approx.retainAll(exact);
            recall += approx.size() / 10.0;
        }
        recall /= queries;
        System.out.printf("recall@10 over %d vectors of %d dims: %.3f%n", N, DIM, recall);
        assertThat(recall).isGreaterThan(0.95);
    }

    @Test
    void exactSearchIsSortedAndScoresAreDotProducts() throws Exception {
        float[] query = SeededVectors.generate(1, DIM, 40, 99);
        List<TopK.Entry> top = index.exact(query, 5, null);

        assertThat(top).hasSize(5);
        assertThat(top).isSortedAccordingTo(TopK::compare);
        float[] v = index.vector(top.get(0).ord());
        float dot = 0;
        for (int i = 0; i < DIM; i++) {
            dot += v[i] * query[i];
        }
        assertThat(top.get(0).score()).isCloseTo(dot, org.assertj.core.data.Offset.offset(1e-5f));
        // The approximate path rescores its candidates with the same function, so the same row has the same score.
        // (The graph is built in parallel and may differ by machine, so the row is looked up, not assumed first.)
        TopK.Entry same = index.approximate(query, 5, 100, null).stream()
                .filter(e -> e.ord() == top.get(0).ord())
                .findFirst()
                .orElseThrow(() -> new AssertionError("the exact top row is not in the approximate top 5"));
        assertThat(same.score()).isEqualTo(top.get(0).score());
    }

    @Test
    void filtersKeepOnlyMatchingRowsInBothModes() throws Exception {
        var filter = MetadataFilter.parse(
                new ObjectMapper().readTree("{\"colour\": \"red\", \"price\": {\"gte\": 10, \"lt\": 20}}"),
                Map.of("colour", "string", "price", "number"));
        BitSet accept = filter.matches(index);
        for (int i = accept.nextSetBit(0); i >= 0; i = accept.nextSetBit(i + 1)) {
            assertThat(i % 3).isZero();
            assertThat(i % 100).isBetween(10, 19);
        }
        assertThat(accept.cardinality()).isGreaterThan(100);
        float[] query = SeededVectors.generate(1, DIM, 40, 5);
        List<TopK.Entry> exact = index.exact(query, 10, accept);
        List<TopK.Entry> approx = index.approximate(query, 10, 100, accept);
        assertThat(exact).allSatisfy(e -> assertThat(accept.get(e.ord())).isTrue());
        // a selective filter is answered by scanning its matches: exact results
        assertThat(ords(approx)).isEqualTo(ords(exact));
    }

    static Set<Integer> ords(List<TopK.Entry> entries) {
        Set<Integer> s = new HashSet<>();
        entries.forEach(e -> s.add(e.ord()));
        return s;
    }
}
