package io.imgindex.dedup.near;

import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import org.apache.flink.streaming.api.operators.AbstractStreamOperator;
import org.apache.flink.streaming.api.operators.BoundedOneInput;
import org.apache.flink.streaming.api.operators.OneInputStreamOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;

/**
 * BATCH: the sample {@link Routing} is trained on, chosen by id, not by arrival: the {@code size} embedded items
 * whose ids hash lowest. Run at the upstream's parallelism (each subtask keeps its own lowest, a few MB), then at
 * parallelism 1 over those ({@link #trainer}), which keeps the overall lowest, trains and emits the routing when
 * its input ends. The same ids give the same sample, so the same routing, at any parallelism.
 */
public final class RoutingSample extends AbstractStreamOperator<RoutingSample.Vector>
        implements OneInputStreamOperator<RoutingSample.Vector, RoutingSample.Vector>, BoundedOneInput {

    private static final long serialVersionUID = 1L;

    /** A sampled unit vector with its id and the id's hash. A Flink POJO. */
    public static class Vector {
        public long hash;
        public String id;
        public float[] unit;

        public Vector() {}

        Vector(long hash, String id, float[] unit) {
            this.hash = hash;
            this.id = id;
            this.unit = unit;
        }
    }

    private static final Comparator<Vector> ORDER =
            Comparator.comparingLong((Vector v) -> v.hash).thenComparing(v -> v.id);

    private final int size;
    private transient Lowest lowest;

    private RoutingSample(int size) {
        this.size = size;
    }

    /** The per-subtask step. */
    public static RoutingSample sampler(int size) {
        return new RoutingSample(size);
    }

    /** The final step: its output is the {@link Routing}. */
    public static Trainer trainer(int size, int partitions, float margin) {
        return new Trainer(size, partitions, margin);
    }

    /** A sample candidate for an item: null for an item without a usable vector. */
    public static Vector candidate(Item item) {
        if (item.status != Status.INDEXED || item.vector == null) {
            return null;
        }
        float[] unit = NearDuplicateIndex.unit(item.vector);
        return unit == null ? null : new Vector(hash(item.id), item.id, unit);
    }

    @Override
    public void open() throws Exception {
        super.open();
        lowest = new Lowest(size);
    }

    @Override
    public void processElement(StreamRecord<Vector> element) {
        lowest.offer(element.getValue());
    }

    @Override
    public void endInput() {
        for (Vector v : lowest.sorted()) {
            output.collect(new StreamRecord<>(v));
        }
    }

    /** The {@code size} vectors lowest in {@link #ORDER} of those offered. */
    private static final class Lowest {
        private final int size;
        private final PriorityQueue<Vector> highestFirst = new PriorityQueue<>(ORDER.reversed());

        Lowest(int size) {
            this.size = size;
        }

        void offer(Vector v) {
            if (highestFirst.size() < size) {
                highestFirst.add(v);
            } else if (ORDER.compare(v, highestFirst.peek()) < 0) {
                highestFirst.poll();
                highestFirst.add(v);
            }
        }

        List<Vector> sorted() {
            List<Vector> out = new ArrayList<>(highestFirst);
            out.sort(ORDER);
            return out;
        }
    }

    /** 64-bit FNV-1a of the id's UTF-8 bytes, finished with a mix (stable across JVMs and releases). */
    static long hash(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        h ^= h >>> 33;
        h *= 0xff51afd7ed558ccdL;
        h ^= h >>> 33;
        return h;
    }

    /** Parallelism 1: the overall sample, then the routing trained on it. */
    public static final class Trainer extends AbstractStreamOperator<Routing>
            implements OneInputStreamOperator<Vector, Routing>, BoundedOneInput {

        private static final long serialVersionUID = 1L;

        private final int size;
        private final int partitions;
        private final float margin;
        private transient Lowest lowest;

        Trainer(int size, int partitions, float margin) {
            this.size = size;
            this.partitions = partitions;
            this.margin = margin;
        }

        @Override
        public void open() throws Exception {
            super.open();
            lowest = new Lowest(size);
        }

        @Override
        public void processElement(StreamRecord<Vector> element) {
            lowest.offer(element.getValue());
        }

        @Override
        public void endInput() {
            List<float[]> vectors = new ArrayList<>();
            lowest.sorted().forEach(v -> vectors.add(v.unit));
            Routing routing = Routing.train(vectors, partitions, margin);
            LOG.info("near-duplicate routing trained on {} vectors: {}", vectors.size(), routing);
            output.collect(new StreamRecord<>(routing));
        }
    }
}
