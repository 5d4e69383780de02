package io.imgindex.output;

import io.imgindex.format.GraphParams;
import io.imgindex.format.SegmentInfo;

/** A written segment on its way from a writer task to the committer: {@link SegmentInfo} as a Flink POJO. */
public class SegmentEntry {

    public String id;
    public int shard;
    public long rows;
    public int maxDegree;
    public int beamWidth;
    public float neighborOverflow;
    public float alpha;
    public boolean hierarchy;
    public int pqSubspaces;
    public long buildMillis;

    public SegmentEntry() {}

    static SegmentEntry of(SegmentInfo s) {
        SegmentEntry e = new SegmentEntry();
        e.id = s.id();
        e.shard = s.shard();
        e.rows = s.rows();
        e.maxDegree = s.graph().maxDegree();
        e.beamWidth = s.graph().beamWidth();
        e.neighborOverflow = s.graph().neighborOverflow();
        e.alpha = s.graph().alpha();
        e.hierarchy = s.graph().hierarchy();
        e.pqSubspaces = s.graph().pqSubspaces();
        e.buildMillis = s.buildMillis();
        return e;
    }

    SegmentInfo toSegmentInfo() {
        return new SegmentInfo(
                id,
                shard,
                rows,
                new GraphParams(maxDegree, beamWidth, neighborOverflow, alpha, hierarchy, pqSubspaces),
                buildMillis);
    }
}
