package io.imgindex.server.load;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;

/**
 * What a graph walk scores. A segment's graph can be walked on its PQ codes (on the heap, a byte per eight
 * dimensions) with the candidates re-ranked on the mapped full vectors, or on the mapped full vectors alone. When the
 * full vectors fit in memory the full walk is faster (the server benchmark: about twice the queries per second at
 * 100,000 × 1792, recall as good); when they do not, every hop of a full walk may wait for the disk, and the PQ walk
 * touches the mapped vectors only to re-rank.
 */
public enum GraphWalk {
    /** PQ codes where the segment has them, whatever the memory. */
    PQ,
    /** Full vectors always (PQ files are not read). */
    FULL,
    /** Full vectors while the served vectors take at most half of this machine's (or container's) memory; PQ past it. */
    AUTO;

    /** Whether a generation whose served vectors take {@code vectorBytes} is walked on PQ codes. */
    public boolean usesPq(long vectorBytes) {
        return switch (this) {
            case PQ -> true;
            case FULL -> false;
            case AUTO -> vectorBytes > physicalMemory() / 2;
        };
    }

    /** This machine's memory, or its container's limit (the JDK reads the cgroup). */
    static long physicalMemory() {
        var os = ManagementFactory.getOperatingSystemMXBean();
        if (os instanceof OperatingSystemMXBean sun) {
            return sun.getTotalMemorySize();
        }
        return Long.MAX_VALUE;
    }
}
