package io.imgindex.job;

import io.imgindex.format.GraphParams;
import io.imgindex.format.Manifest;
import io.imgindex.format.SegmentInfo;
import java.util.Locale;

/** The lines a run prints for people when it ends, from its {@link IndexJob.Result}. */
public final class RunSummary {

    private RunSummary() {}

    /** The lines printed when a run ends (a batch run, or a stream stopped). */
    public static String of(IndexJob.Result r) {
        return r.streaming() ? stream(r) : batch(r);
    }

    private static String batch(IndexJob.Result r) {
        Manifest m = r.manifest();
        if (m == null) {
            return "imgindex: job submitted; when it ends, its manifest is " + r.manifestPath() + "\n";
        }
        StringBuilder s = new StringBuilder();
        s.append(generation("imgindex: committed", r)).append(countLines(m));
        m.run().options().stream()
                .filter(o -> o.startsWith(IndexOptions.APPEND_TO.key() + "="))
                .findFirst()
                .ifPresent(o -> s.append("  appended (--")
                        .append(o.replace("=", " "))
                        .append("): the counts and the index include the generation it builds on\n"));
        s.append(String.format(
                Locale.ROOT,
                "  model %s (%d dimensions, %s), %d shards, %d files, %.1f s%n",
                m.model().id(),
                m.model().dimension(),
                m.model().metric(),
                m.shards(),
                m.files().size(),
                r.took().toMillis() / 1000.0));
        s.append(segmentLine(m));
        if (r.nearDuplicates() != null) {
            s.append("  near-duplicates: ").append(r.nearDuplicates()).append('\n');
        }
        return s.toString();
    }

    private static String stream(IndexJob.Result r) {
        StringBuilder s = new StringBuilder();
        if (r.savepoint() != null) {
            s.append("imgindex: stopped with a savepoint at ")
                    .append(r.savepoint())
                    .append('\n');
            s.append("  resume with the same command and --from-savepoint ")
                    .append(r.savepoint())
                    .append('\n');
        } else {
            s.append("imgindex: no savepoint taken (the job was submitted detached, or ended by itself)\n");
        }
        Manifest m = r.manifest();
        if (m == null) {
            s.append("  nothing committed yet\n");
        } else {
            s.append(generation("  latest", r)).append(countLines(m));
        }
        s.append(String.format(Locale.ROOT, "  ran %.1f s%n", r.took().toMillis() / 1000.0));
        return s.toString();
    }

    /** {@code <prefix> generation 3 of index 'photos' at <manifest path>}. */
    private static String generation(String prefix, IndexJob.Result r) {
        return prefix + " generation " + r.manifest().generation() + " of index '"
                + r.manifest().indexName() + "' at " + r.manifestPath() + "\n";
    }

    /** A generation's counts for people, and its failures by reason: {@code NOT_FOUND 1, HTTP_404 2}. */
    public static String countLines(Manifest m) {
        StringBuilder s = new StringBuilder("  ").append(m.counts().summary()).append('\n');
        if (!m.counts().failedByReason().isEmpty()) {
            s.append("  failed by reason: ")
                    .append(m.counts().failuresByReason())
                    .append('\n');
        }
        return s.toString();
    }

    /**
     * The segments a generation's writers built: {@code segments: 4 (39 rows), graphs built in 0.3 s of task time
     * (M 16, ef 100, alpha 1.2; full vectors walked)}. Empty for a generation without segments.
     */
    public static String segmentLine(Manifest m) {
        if (m.segments().isEmpty()) {
            return "";
        }
        long rows = 0;
        long millis = 0;
        int compressed = 0;
        SegmentInfo firstCompressed = null;
        for (SegmentInfo s : m.segments()) {
            rows += s.rows();
            millis += s.buildMillis();
            if (s.graph().compressed()) {
                compressed++;
                firstCompressed = firstCompressed == null ? s : firstCompressed;
            }
        }
        GraphParams p = m.segments().get(0).graph();
        String walk = compressed == 0
                ? "full vectors walked"
                : compressed + " walk PQ codes (" + firstCompressed.graph().pqSubspaces() + " subspaces)";
        return String.format(
                Locale.ROOT,
                "  segments: %d (%d rows), graphs built in %.1f s of task time (M %d, ef %d, alpha %.1f; %s)%n",
                m.segments().size(),
                rows,
                millis / 1000.0,
                p.maxDegree(),
                p.beamWidth(),
                p.alpha(),
                walk);
    }
}
