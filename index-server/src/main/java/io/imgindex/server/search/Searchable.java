package io.imgindex.server.search;

import io.imgindex.format.DuplicateRow;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;

/** What a search runs over: shards by number, and the duplicates recorded against their items. */
public interface Searchable {

    /** The shards by number. */
    SortedMap<Integer, ShardIndex> shards();

    /** Duplicates by the id they duplicate. */
    Map<String, List<DuplicateRow>> duplicatesOf();
}
