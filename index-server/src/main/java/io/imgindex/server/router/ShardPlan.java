package io.imgindex.server.router;

import io.imgindex.server.router.Backends.Backend;
import io.imgindex.server.router.Backends.Info;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who answers one query: one generation for the whole answer, and one backend for each of its shards, so that
 * replicas of a shard never answer the same query twice and no answer mixes generations. The generation is the
 * one the backends serve most shards of (the newest on a tie: during a rollout the new generation wins once its
 * servers cover as much as the old one's); among the replicas of a shard it takes turns. Immutable.
 *
 * @param generation the generation every counted answer must be of, or -1 when no backend is known yet
 * @param assignments the shards each chosen backend answers for
 * @param uncovered the shards of the index no backend serves in that generation
 */
record ShardPlan(long generation, Map<Backend, Set<Integer>> assignments, Set<Integer> uncovered) {

    /** The plan for a query from what the backends last said; {@code turn} spreads queries over replicas. */
    static ShardPlan of(Map<Backend, Info> infos, int turn) {
        if (infos.isEmpty()) {
            return new ShardPlan(-1, Map.of(), Set.of());
        }
        Map<Long, Set<Integer>> covered = new TreeMap<>(Comparator.reverseOrder());
        infos.forEach((b, i) ->
                covered.computeIfAbsent(i.generation(), g -> new TreeSet<>()).addAll(i.shards()));
        long generation = -1;
        int most = -1;
        for (Map.Entry<Long, Set<Integer>> e : covered.entrySet()) { // newest first: a tie keeps the newest
            if (e.getValue().size() > most) {
                generation = e.getKey();
                most = e.getValue().size();
            }
        }
        int total = infos.values().stream().mapToInt(Info::shardsTotal).max().orElse(0);
        Map<Backend, Set<Integer>> assignments = new LinkedHashMap<>();
        Set<Integer> uncovered = new TreeSet<>();
        for (int shard = 0; shard < total; shard++) {
            final int s = shard;
            final long g = generation;
            List<Backend> replicas = infos.entrySet().stream()
                    .filter(e -> e.getValue().generation() == g
                            && e.getValue().shards().contains(s))
                    .map(Map.Entry::getKey)
                    .sorted(Comparator.comparing(Backend::hostPort))
                    .toList();
            if (replicas.isEmpty()) {
                uncovered.add(shard);
                continue;
            }
            // The same turn for every shard: replicas of a whole index answer a query alone.
            Backend pick = replicas.get(Math.floorMod(turn, replicas.size()));
            assignments.computeIfAbsent(pick, b -> new TreeSet<>()).add(shard);
        }
        return new ShardPlan(generation, assignments, uncovered);
    }
}
