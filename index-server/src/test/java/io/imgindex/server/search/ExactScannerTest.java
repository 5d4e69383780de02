package io.imgindex.server.search;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.vectors.DotKernel;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The exact scanner's answers, and what it does when its thread is interrupted mid-pass. */
class ExactScannerTest {

    /** Rows whose score is the row number (so the top k is known), counting what is scored. */
    private static final class CountingRows implements ExactScanner.Rows {
        final int n;
        final AtomicLong scored = new AtomicLong();
        final CountDownLatch started = new CountDownLatch(1);
        volatile long pauseEvery;

        CountingRows(int n) {
            this.n = n;
        }

        @Override
        public int size() {
            return n;
        }

        @Override
        public int dimension() {
            return 1;
        }

        @Override
        public float dot(DotKernel kernel, float[] query, int row) {
            long s = scored.incrementAndGet();
            started.countDown();
            if (pauseEvery > 0 && s % pauseEvery == 0) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt(); // as a kernel would: it does not look
                }
            }
            return row * query[0];
        }
    }

    @Test
    void findsTheTopRows() throws Exception {
        CountingRows rows = new CountingRows(10_000);
        TopK top = new ExactScanner(rows, DotKernel.scalar()).search(new float[] {1f}, 3, null);
        assertThat(top.sorted(0)).extracting(TopK.Entry::ord).containsExactly(9_999, 9_998, 9_997);
        assertThat(rows.scored.get()).isEqualTo(10_000);
    }

    @Test
    void aBatchIsAnsweredInPassesOfSixteenEachQueryAsAlone() throws Exception {
        CountingRows rows = new CountingRows(10_000);
        ExactScanner scanner = new ExactScanner(rows, DotKernel.scalar());
        int n = 20; // two passes: 16 and 3, and one query with a selective filter scored on its own
        float[][] queries = new float[n][];
        int[] ks = new int[n];
        BitSet[] accepts = new BitSet[n];
        for (int i = 0; i < n; i++) {
            queries[i] = new float[] {i % 2 == 0 ? 1f : -1f};
            ks[i] = 1 + i % 4;
        }
        accepts[5] = new BitSet();
        accepts[5].set(100, 110);

        List<TopK> all = scanner.searchAll(queries, ks, accepts);

        for (int i = 0; i < n; i++) {
            assertThat(all.get(i).sorted(0))
                    .as("query %d", i)
                    .isEqualTo(new ExactScanner(new CountingRows(10_000), DotKernel.scalar())
                            .search(queries[i], ks[i], accepts[i])
                            .sorted(0));
        }
        assertThat(all.get(5).sorted(0))
                .extracting(TopK.Entry::ord)
                .containsExactly(100, 101); // scores -row: the lowest rows first
        // Each of the 19 queries scored every row once (in two passes), the filtered one only its ten rows.
        assertThat(rows.scored.get()).isEqualTo(19L * 10_000 + 10);
    }

    @Test
    void anInterruptedScanStopsAndSaysSo() throws Exception {
        CountingRows rows = new CountingRows(2_000_000);
        rows.pauseEvery = 512; // about 4 s for the whole pass
        ExactScanner scanner = new ExactScanner(rows, DotKernel.scalar());
        AtomicReference<Throwable> outcome = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                scanner.search(new float[] {1f}, 10, null);
            } catch (Throwable e) {
                outcome.set(e);
            }
        });
        t.start();
        rows.started.await();
        // Let the pass get going (past its first pauses), then interrupt it.
        long giveUp = System.nanoTime() + 10_000_000_000L;
        while (rows.scored.get() < 4 * rows.pauseEvery && System.nanoTime() < giveUp) {
            Thread.onSpinWait();
        }
        t.interrupt();
        t.join(10_000);
        assertThat(t.isAlive()).isFalse();
        assertThat(outcome.get()).isInstanceOf(InterruptedException.class);
        assertThat(rows.scored.get()).as("stopped well before the end").isLessThan(1_000_000);
        // The scanner is free again for the next query.
        rows.pauseEvery = 0;
        assertThat(scanner.search(new float[] {1f}, 1, null).sorted(0))
                .extracting(TopK.Entry::ord)
                .containsExactly(1_999_999);
    }
}
