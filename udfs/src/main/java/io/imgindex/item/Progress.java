package io.imgindex.item;

import java.util.Map;
import org.apache.flink.api.common.accumulators.LongCounter;
import org.apache.flink.api.common.functions.RuntimeContext;
import org.apache.flink.metrics.Counter;

/**
 * The counts a run reports while it runs: Flink accumulators (which a job client reads from the running job, for
 * the launcher's progress lines) and Flink metrics (for dashboards), counted where items pass. Every name here is
 * a {@link LongCounter} accumulator and a counter metric of the same name in the operator's {@code imgindex} metric
 * group.
 *
 * <ul>
 *   <li>{@link #READ}: records read, at the source's tally; {@link #SKIPPED}: lines skipped there (blank, comments).
 *   <li>{@link #FETCHED}: images fetched, counted at the decoder.
 *   <li>{@link #EMBEDDED}: images embedded.
 *   <li>{@code failed-*}: items that failed, by stage ({@link #FAILED_FETCH}, {@link #FAILED_DECODE},
 *       {@link #FAILED_EMBED}, {@link #FAILED_WRITTEN} for every failure row written, whatever the stage).
 *   <li>{@link #INDEXED}, {@link #DUPLICATES}: rows written to the index and duplicates tables.
 * </ul>
 */
public final class Progress {

    public static final String READ = "read";
    public static final String SKIPPED = "skipped";
    public static final String FETCHED = "fetched";
    public static final String EMBEDDED = "embedded";
    public static final String FAILED_FETCH = "failed-fetch";
    public static final String FAILED_DECODE = "failed-decode";
    public static final String FAILED_EMBED = "failed-embed";
    public static final String FAILED_WRITTEN = "failed-written";
    public static final String INDEXED = "indexed";
    public static final String DUPLICATES = "duplicates";

    /** The prefix of the accumulators' names, so that they do not clash with others in a job. */
    public static final String PREFIX = "imgindex-";

    /** One count: its accumulator and its metric. */
    public static final class Count {
        private final LongCounter accumulator;
        private final Counter metric;

        private Count(LongCounter accumulator, Counter metric) {
            this.accumulator = accumulator;
            this.metric = metric;
        }

        public void inc() {
            accumulator.add(1L);
            metric.inc();
        }
    }

    /** The count {@code name} of this operator (chained operators of one task share the accumulator). */
    public static Count count(RuntimeContext ctx, String name) {
        return new Count(
                ctx.getLongCounter(PREFIX + name),
                ctx.getMetricGroup().addGroup("imgindex").counter(name));
    }

    /** The value of count {@code name} among a job's accumulators (0 if not there yet). */
    public static long value(Map<String, Object> accumulators, String name) {
        Object v = accumulators.get(PREFIX + name);
        return v instanceof Number n ? n.longValue() : 0L;
    }

    private Progress() {}
}
