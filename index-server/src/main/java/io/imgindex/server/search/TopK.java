package io.imgindex.server.search;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code k} best (ordinal, score) pairs seen so far: a bounded min-heap on primitive arrays, so a scan of
 * millions of rows allocates nothing. Ties are broken by the smaller ordinal, so results are deterministic. Not
 * thread-safe: one per scanning thread, merged afterwards.
 */
public final class TopK {

    /** One result: a row of a shard and its score. */
    public record Entry(int shard, int ord, float score) {}

    private final int k;
    private final int[] ords;
    private final float[] scores;
    private int size;

    public TopK(int k) {
        this.k = k;
        this.ords = new int[k];
        this.scores = new float[k];
    }

    /** The score a new entry must beat to get in, once full. */
    public float threshold() {
        return size < k ? Float.NEGATIVE_INFINITY : scores[0];
    }

    public void offer(int ord, float score) {
        if (size < k) {
            ords[size] = ord;
            scores[size] = score;
            siftUp(size++);
        } else if (better(score, ord, scores[0], ords[0])) {
            ords[0] = ord;
            scores[0] = score;
            siftDown(0);
        }
    }

    /** The entries, best first. */
    public List<Entry> sorted(int shard) {
        List<Entry> out = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            out.add(new Entry(shard, ords[i], scores[i]));
        }
        out.sort(TopK::compare);
        return out;
    }

    /** Best first: higher score, then smaller shard and ordinal. */
    public static int compare(Entry a, Entry b) {
        int c = Float.compare(b.score(), a.score());
        if (c != 0) {
            return c;
        }
        c = Integer.compare(a.shard(), b.shard());
        return c != 0 ? c : Integer.compare(a.ord(), b.ord());
    }

    private static boolean better(float s1, int o1, float s2, int o2) {
        return s1 > s2 || (s1 == s2 && o1 < o2);
    }

    private void siftUp(int i) {
        while (i > 0) {
            int parent = (i - 1) / 2;
            if (!better(scores[parent], ords[parent], scores[i], ords[i])) {
                break;
            }
            swap(i, parent);
            i = parent;
        }
    }

    private void siftDown(int i) {
        while (true) {
            int l = 2 * i + 1;
            int r = l + 1;
            int worst = i;
            if (l < size && better(scores[worst], ords[worst], scores[l], ords[l])) {
                worst = l;
            }
            if (r < size && better(scores[worst], ords[worst], scores[r], ords[r])) {
                worst = r;
            }
            if (worst == i) {
                return;
            }
            swap(i, worst);
            i = worst;
        }
    }

    private void swap(int a, int b) {
        int o = ords[a];
        ords[a] = ords[b];
        ords[b] = o;
        float s = scores[a];
        scores[a] = scores[b];
        scores[b] = s;
    }
}
