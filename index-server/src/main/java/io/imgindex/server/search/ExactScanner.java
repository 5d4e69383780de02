package io.imgindex.server.search;

import io.imgindex.vectors.DotKernel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;

/**
 * Exact search of one segment, several queries per pass over its vectors: a query that arrives while another scan
 * runs waits, and the next scan answers every waiting query (up to {@link #MAX_BATCH}) in one pass, each block of
 * rows scored against all of them while it is in the CPU's cache. An exact scan is bound by memory bandwidth, so
 * eight queries in one pass cost little more than one. The thread of the first waiting query runs the pass (no
 * thread of its own); then it hands the role to the next waiting query's thread.
 *
 * <p>Thread-safe. A query whose thread is interrupted while it waits leaves the queue; one whose thread is
 * interrupted while it runs a pass stops being scored (the pass goes on for the others in it, or stops if there are
 * none) and throws {@link InterruptedException} once it has handed the role on. So a request that missed its
 * deadline stops costing CPU.
 */
final class ExactScanner {

    /** Queries answered in one pass at most. */
    static final int MAX_BATCH = 16;

    /** Below this share of the rows, a filtered query scores its rows one by one instead of joining a pass. */
    static final double SPARSE_FILTER_SHARE = 0.125;

    /** The rows a scanner scores: on the heap, or mapped. */
    interface Rows {
        int size();

        int dimension();

        /** The dot product of {@code query} with row {@code row}. */
        float dot(DotKernel kernel, float[] query, int row);
    }

    private static final class Task {
        final float[] query;
        final int k;
        final BitSet accept;
        TopK top;
        RuntimeException error;
        boolean done;
        boolean promoted;
        boolean abandoned;

        Task(float[] query, int k, BitSet accept) {
            this.query = query;
            this.k = k;
            this.accept = accept;
        }
    }

    private final Rows rows;
    private final DotKernel kernel;
    private final ArrayDeque<Task> waiting = new ArrayDeque<>();
    private boolean scanning;

    ExactScanner(Rows rows, DotKernel kernel) {
        this.rows = rows;
        this.kernel = kernel;
    }

    /** The exact top {@code k} rows for {@code query} (among those {@code accept} lets through, if given). */
    TopK search(float[] query, int k, BitSet accept) throws InterruptedException {
        if (accept != null && accept.cardinality() < SPARSE_FILTER_SHARE * rows.size()) {
            return sparse(query, k, accept);
        }
        Task me = new Task(query, k, accept);
        synchronized (this) {
            waiting.add(me);
            if (scanning) {
                try {
                    while (!me.done && !me.promoted) {
                        wait();
                    }
                } catch (InterruptedException e) {
                    me.abandoned = true;
                    waiting.remove(me);
                    throw e;
                }
                if (me.done) {
                    return result(me);
                }
            }
            scanning = true;
        }
        List<Task> batch = new ArrayList<>();
        synchronized (this) {
            while (!waiting.isEmpty() && batch.size() < MAX_BATCH) {
                Task t = waiting.poll();
                if (!t.abandoned) {
                    batch.add(t);
                }
            }
            if (!batch.contains(me)) {
                batch.add(0, me); // promoted after the queue moved on: answer it in this pass too
            }
        }
        boolean interrupted = false;
        try {
            interrupted = scan(batch, me);
        } catch (RuntimeException e) {
            batch.forEach(t -> t.error = e);
        } finally {
            synchronized (this) {
                batch.forEach(t -> t.done = true);
                Task next = waiting.peek();
                if (next == null) {
                    scanning = false;
                } else {
                    next.promoted = true;
                }
                notifyAll();
            }
        }
        if (interrupted) {
            throw new InterruptedException("the exact scan was interrupted");
        }
        return result(me);
    }

    /**
     * The exact top-k of several queries, answered in this thread in passes of up to {@link #MAX_BATCH} (a batch
     * request's exact queries), apart from the queue of single queries. A query with a selective filter scores its
     * rows one by one, as in {@link #search}.
     */
    List<TopK> searchAll(float[][] queries, int[] ks, BitSet[] accepts) throws InterruptedException {
        TopK[] out = new TopK[queries.length];
        List<Task> pass = new ArrayList<>();
        List<Integer> passIndexes = new ArrayList<>();
        for (int i = 0; i <= queries.length; i++) {
            if (i < queries.length) {
                BitSet accept = accepts[i];
                if (accept != null && accept.cardinality() < SPARSE_FILTER_SHARE * rows.size()) {
                    out[i] = sparse(queries[i], ks[i], accept);
                    continue;
                }
                pass.add(new Task(queries[i], ks[i], accept));
                passIndexes.add(i);
            }
            if (pass.size() == MAX_BATCH || (i == queries.length && !pass.isEmpty())) {
                if (scan(pass, pass.get(0))) {
                    throw new InterruptedException("the exact scan was interrupted");
                }
                for (int j = 0; j < pass.size(); j++) {
                    out[passIndexes.get(j)] = pass.get(j).top;
                }
                pass.clear();
                passIndexes.clear();
            }
        }
        return List.of(out);
    }

    private static TopK result(Task t) {
        if (t.error != null) {
            throw t.error;
        }
        return t.top;
    }

    /** Rows scored between checks for an interrupt of the scanning thread. */
    private static final int INTERRUPT_CHECK_ROWS = 4096;

    /** Scores every row for the batch; true if the scanning thread ({@code me}'s) was interrupted. */
    private boolean scan(List<Task> batch, Task me) {
        int n = rows.size();
        int q = batch.size();
        TopK[] tops = new TopK[q];
        float[][] queries = new float[q][];
        BitSet[] accepts = new BitSet[q];
        for (int j = 0; j < q; j++) {
            Task t = batch.get(j);
            tops[j] = new TopK(t.k);
            queries[j] = t.query;
            accepts[j] = t.accept;
        }
        boolean[] skip = new boolean[q];
        int active = q;
        boolean interrupted = false;
        // Row by row, every waiting query: a row is read from memory once, then scored from the cache.
        for (int ord = 0; ord < n && active > 0; ord++) {
            if (ord % INTERRUPT_CHECK_ROWS == 0 && !interrupted && Thread.interrupted()) {
                interrupted = true;
                int mine = batch.indexOf(me);
                skip[mine] = true;
                active--;
            }
            for (int j = 0; j < q; j++) {
                if (!skip[j] && (accepts[j] == null || accepts[j].get(ord))) {
                    tops[j].offer(ord, rows.dot(kernel, queries[j], ord));
                }
            }
        }
        for (int j = 0; j < q; j++) {
            batch.get(j).top = tops[j];
        }
        return interrupted;
    }

    /** A selective filter: only its rows. */
    private TopK sparse(float[] query, int k, BitSet accept) {
        TopK top = new TopK(k);
        for (int i = accept.nextSetBit(0); i >= 0 && i < rows.size(); i = accept.nextSetBit(i + 1)) {
            top.offer(i, rows.dot(kernel, query, i));
        }
        return top;
    }
}
