package io.imgindex.dedup;

import java.util.List;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.runtime.state.FunctionInitializationContext;

/**
 * The generation a stream builds on, kept in each checking operator's state: a fresh stream takes the one its
 * command line names ({@code --base-generation}); a restored one (from a savepoint or after a failure, at any
 * parallelism) goes on checking against the one it started on, which the command line no longer names.
 */
public final class BaseGenerationState {

    private BaseGenerationState() {}

    /**
     * @param configured the base of a fresh stream, 0 for none
     * @return the generation to check against, 0 for none (also for state written before this was kept)
     */
    public static long initialize(FunctionInitializationContext context, long configured) throws Exception {
        ListState<Long> state = context.getOperatorStateStore()
                .getUnionListState(new ListStateDescriptor<>("base-generation", Long.class));
        long generation = configured;
        if (context.isRestored()) {
            generation = 0;
            for (Long g : state.get()) {
                generation = Math.max(generation, g);
            }
        }
        state.update(generation > 0 ? List.of(generation) : List.of());
        return generation;
    }
}
