package io.imgindex.item;

import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.util.Collector;

/** Sends terminal items to {@link Outcomes#TERMINAL} and lets pending ones through. */
public class TerminalSplitter extends ProcessFunction<Item, Item> {

    private static final long serialVersionUID = 1L;

    @Override
    public void processElement(Item item, Context ctx, Collector<Item> out) {
        if (item.isTerminal()) {
            ctx.output(Outcomes.TERMINAL, item);
        } else {
            out.collect(item);
        }
    }
}
