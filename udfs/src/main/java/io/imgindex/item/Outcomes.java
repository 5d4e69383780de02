package io.imgindex.item;

import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.util.OutputTag;

/** The side output where functions put items that reached their outcome early (failed, skipped, duplicate). */
public final class Outcomes {

    /** Terminal items, on their way to the writer. */
    public static final OutputTag<Item> TERMINAL = new OutputTag<>("terminal", TypeInformation.of(Item.class));

    private Outcomes() {}
}
