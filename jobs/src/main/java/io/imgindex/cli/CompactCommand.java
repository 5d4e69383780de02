package io.imgindex.cli;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.job.CompactJob;
import io.imgindex.job.CompactOptions;

/**
 * {@code imgindex compact}: {@link CompactJob} in this JVM, on an embedded MiniCluster (a compaction is a short
 * BATCH job with no state to keep across runs, so the cluster entry point runs the same code).
 */
public final class CompactCommand {

    public static final Command COMMAND = new Command(
            "compact",
            CompactJob.USAGE,
            CompactJob.SUMMARY,
            CompactOptions.ALL,
            Flags.Conf.FLINK,
            false,
            (parsed, out) -> {
                CompactOptions.Config config = CompactOptions.config(parsed.options());
                out.print(CompactJob.summary(CompactJob.run(config, parsed.flinkConf())));
                return 0;
            });

    private CompactCommand() {}
}
