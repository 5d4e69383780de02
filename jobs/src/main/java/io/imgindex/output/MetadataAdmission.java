package io.imgindex.output;

import io.imgindex.imaging.Reason;
import io.imgindex.item.Item;
import io.imgindex.item.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/**
 * Bounds an index's metadata columns, over all its writers: at most {@value #MAX_COLUMNS} distinct names, a base
 * generation's included. It runs once (parallelism 1) right after the input is read, where an item is small (its URL
 * and metadata, no pixels, no vector), so every record meets the same set of admitted names.
 *
 * <p>A record whose metadata would add names past the bound fails ({@code BAD_RECORD}, its metadata dropped, the
 * message saying how many names it would add and the first of them); one that is a failure already keeps its reason
 * and loses only its metadata. Which names come first is the order records reach this step: the lines of a BATCH
 * run's lists arrive in no fixed order across their readers, so past the bound a rerun may admit other names; the
 * bound itself always holds. In STREAMING the admitted names are operator state, so a restored stream keeps them.
 */
public class MetadataAdmission extends ProcessFunction<Item, Item> implements CheckpointedFunction {

    private static final long serialVersionUID = 1L;

    /** The most distinct metadata columns one index has. */
    public static final int MAX_COLUMNS = 256;

    private final List<String> baseColumns;
    private transient Set<String> admitted;
    private transient ListState<String> stored;

    /** @param baseColumns the columns of the generation this run builds on (they count towards the bound) */
    public MetadataAdmission(Collection<String> baseColumns) {
        this.baseColumns = new ArrayList<>(baseColumns);
    }

    @Override
    public void initializeState(FunctionInitializationContext context) throws Exception {
        stored = context.getOperatorStateStore()
                .getListState(new ListStateDescriptor<>("admitted-metadata-columns", Types.STRING));
        admitted = new LinkedHashSet<>(baseColumns);
        for (String name : stored.get()) {
            admitted.add(name);
        }
    }

    @Override
    public void snapshotState(FunctionSnapshotContext context) throws Exception {
        stored.update(new ArrayList<>(admitted));
    }

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        admit(item);
        out.collect(item);
    }

    private void admit(Item item) {
        if (item.metadata == null || item.metadata.isEmpty() || admitted.containsAll(item.metadata.keySet())) {
            return;
        }
        List<String> fresh = item.metadata.keySet().stream()
                .filter(k -> !admitted.contains(k))
                .sorted()
                .toList();
        if (admitted.size() + fresh.size() <= MAX_COLUMNS) {
            admitted.addAll(fresh);
            return;
        }
        if (item.status != Status.FAILED) {
            item.fail(
                    Reason.BAD_RECORD,
                    "the index has " + admitted.size() + " metadata columns already, at most " + MAX_COLUMNS
                            + ", and this record adds " + fresh.size() + " more (" + fresh.get(0)
                            + (fresh.size() > 1 ? ", …" : "") + ")");
        }
        item.metadata = Map.of();
    }
}
