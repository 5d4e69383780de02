package io.imgindex.bench;

import io.imgindex.dedup.near.InMemoryLeaderStore;
import io.imgindex.dedup.near.KeepOrder;
import io.imgindex.dedup.near.NearDupParams;
import io.imgindex.dedup.near.NearDupTruth;
import io.imgindex.dedup.near.NearDuplicateIndex;
import io.imgindex.dedup.near.Routing;
import io.imgindex.imaging.decode.DecodeOptions;
import io.imgindex.imaging.decode.DecodedImage;
import io.imgindex.imaging.decode.ImageDecoder;
import io.imgindex.imaging.embed.EmbeddingModel;
import io.imgindex.imaging.embed.ModelCard;
import io.imgindex.imaging.embed.ModelCatalog;
import io.imgindex.imaging.embed.ModelStore;
import io.imgindex.imaging.embed.tfjs.NpmPackages;
import io.imgindex.item.Item;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Precision, recall and F1 of near-duplicate removal against the ground truth of {@link NearDupTruth}, over a
 * range of thresholds, overall and per transform, for one model.
 *
 * <p>{@code benchmarks/run NearDuplicateBenchmark [MODEL] [photos|faces]}. {@code photos}: the sample photos with
 * their copies, and the 16 face crops as hard negatives (several crops of the same person: alike, not copies).
 * {@code faces}: the face crops with their copies. Images are decoded and embedded as the job does; items are
 * offered in the job's BATCH order ({@link KeepOrder}) to the same {@link NearDuplicateIndex}, compared
 * exhaustively (the set is smaller than the warm-up); a last run forces the LSH buckets (warm-up 32) and counts
 * the decisions that differ from the exhaustive ones.
 *
 * <p>Metrics are over pairs: a pair is predicted when both items end in the same group (a kept item and its
 * duplicates), true when both come from the same original. Per transform: recall over the pairs (original, copy
 * made by it), precision over every predicted pair that involves such a copy.
 */
public final class NearDuplicateBenchmark {

    record Embedded(String id, String original, String transform, Item order, float[] vector) {}

    public static void main(String[] args) throws Exception {
        String modelId = args.length > 0 ? args[0] : ModelCatalog.DEFAULT;
        String set = args.length > 1 ? args[1] : "photos";
        ModelStore.Model model = new ModelStore(ModelStore.defaultCache()).resolve(modelId);
        ModelCard card = model.card();
        Path dir = Files.createTempDirectory("near-dup-truth-");
        List<NearDupTruth.Row> rows = set.equals("faces")
                ? NearDupTruth.build(
                        List.of(Path.of("sample-data/faces/crops")), List.of(), NearDupTruth.TRANSFORMS, dir)
                : NearDupTruth.build(
                        List.of(Path.of("sample-data/images")),
                        List.of(Path.of("sample-data/faces/crops")),
                        NearDupTruth.TRANSFORMS,
                        dir);
        ImageDecoder decoder = new ImageDecoder(DecodeOptions.pixels(
                50_000_000,
                card.input().width(),
                card.input().height(),
                "center_crop".equals(card.input().resize())));
        List<Embedded> items = new ArrayList<>();
        long t0 = System.nanoTime();
        try (EmbeddingModel m = EmbeddingModel.load(model.dir(), card, 0, 0)) {
            for (NearDupTruth.Row r : rows) {
                byte[] bytes = Files.readAllBytes(r.file());
                DecodedImage d = decoder.decode(bytes);
                if (!d.isOk()) {
                    throw new IllegalStateException(r.file() + ": " + d.message());
                }
                Item order = Item.pending(r.id(), r.file().toString(), Map.of(), null);
                order.width = d.width();
                order.height = d.height();
                order.bytes = bytes.length;
                items.add(new Embedded(r.id(), r.original(), r.transform(), order, m.embed(List.of(d.pixels()))[0]));
            }
        }
        double embedSeconds = (System.nanoTime() - t0) / 1e9;
        Machine.print("near-duplicate benchmark: model " + card.id() + " (" + card.dimension() + " dims), set '" + set
                + "': " + rows.size() + " images, "
                + rows.stream().filter(r -> r.transform().equals("original")).count() + " originals, "
                + NearDupTruth.TRANSFORMS.size() + " transforms; decoded and embedded in "
                + String.format("%.1f s", embedSeconds));
        items.sort(Comparator.comparingLong((Embedded e) -> KeepOrder.of(e.order()))
                .thenComparing(Embedded::id));

        float[] thresholds = {0.70f, 0.74f, 0.78f, 0.80f, 0.82f, 0.84f, 0.86f, 0.88f, 0.90f, 0.92f, 0.94f, 0.96f};
        System.out.println();
        System.out.println(
                "| threshold | precision | recall | F1 | false pairs | false pairs between different" + " originals |");
        System.out.println("|---|---|---|---|---|---|");
        Map<Float, Double> precisionByThreshold = new LinkedHashMap<>();
        Map<Float, Map<String, Integer>> groupsByThreshold = new LinkedHashMap<>();
        for (float t : thresholds) {
            Map<String, Integer> group =
                    groups(items, NearDupParams.withThreshold(t).warmup(Integer.MAX_VALUE), card);
            groupsByThreshold.put(t, group);
            Pairs all = pairs(items, group, null);
            System.out.printf(
                    "| %.2f | %.3f | %.3f | %.3f | %d | %d |%n",
                    t, all.precision(), all.recall(), all.f1(), all.predicted - all.correct, all.falseAcrossOriginals);
            precisionByThreshold.put(t, all.precision());
        }
        System.out.println();
        System.out.print("| transform |");
        List<Float> shown = List.of(0.78f, 0.82f, 0.86f, 0.90f);
        for (float t : shown) {
            System.out.printf(" P / R at %.2f |", t);
        }
        System.out.println();
        System.out.println("|---|" + "---|".repeat(shown.size()));
        for (String tr : NearDupTruth.TRANSFORMS) {
            System.out.print("| " + tr + " |");
            for (float t : shown) {
                Pairs p = pairs(items, groupsByThreshold.get(t), tr);
                System.out.printf(" %.2f / %.2f |", p.precision(), p.recall());
            }
            System.out.println();
        }
        float hardestNegative = hardest(items);
        // Dropping a unique image is worse than keeping a copy: the lowest threshold with precision 1 that is
        // also 0.03 above the most similar pair of different originals.
        float suggested = Float.NaN;
        for (float t : thresholds) {
            if (Float.isNaN(suggested) && precisionByThreshold.get(t) >= 1.0 && t >= hardestNegative + 0.03f) {
                suggested = t;
            }
        }
        float chosen = ModelCatalog.nearDuplicateThreshold(card).orElse(suggested);
        System.out.printf(
                "%nsuggested threshold (lowest with precision 1 and >= most similar different originals + 0.03): %.2f;"
                        + " the model card says %s%n",
                suggested,
                ModelCatalog.nearDuplicateThreshold(card).map(String::valueOf).orElse("nothing"));

        // The buckets against the exhaustive comparison, on the same items.
        NearDupParams exhaustive = NearDupParams.withThreshold(chosen).warmup(Integer.MAX_VALUE);
        NearDupParams bucketed = NearDupParams.withThreshold(chosen).warmup(32);
        Map<String, String> a = decisions(items, exhaustive, card);
        Map<String, String> b = decisions(items, bucketed, card);
        int same = 0;
        int dupsExhaustive = 0;
        int dupsFound = 0;
        for (String id : a.keySet()) {
            same += a.get(id).equals(b.get(id)) ? 1 : 0;
            if (!a.get(id).equals("kept")) {
                dupsExhaustive++;
                dupsFound += b.get(id).equals("kept") ? 0 : 1;
            }
        }
        System.out.printf(
                "LSH buckets (warm-up forced down to 32 vectors) against exhaustive comparison at %.2f: %d of %d"
                        + " decisions identical; duplicates found %d of %d (recall %.3f)%n",
                chosen,
                same,
                a.size(),
                dupsFound,
                dupsExhaustive,
                dupsExhaustive == 0 ? 1.0 : (double) dupsFound / dupsExhaustive);
        // The kept vectors are stored as int8: the same greedy decisions computed with the floats, for comparison.
        compare("int8 kept vectors against float (exhaustive, one partition)", floatDecisions(items, chosen), a);
        // Partitions against one partition, exhaustive within partitions (the set is smaller than the warm-up)
        // and with the buckets forced (warm-up 32), at the job's default margin.
        compare(
                "partitions against one partition (exhaustive within each)",
                a,
                partitioned(items, exhaustive, card, 0.01f));
        compare(
                "partitions against one partition (LSH buckets, warm-up 32)",
                b,
                partitioned(items, bucketed, card, 0.01f));
        NpmPackages.deleteTree(dir);
    }

    /** The most similar pair of different originals, and per transform the least similar copy. */
    static float hardest(List<Embedded> items) {
        float worst = -1;
        String worstPair = "";
        Map<String, Float> lowest = new LinkedHashMap<>();
        Map<String, Embedded> originals = new HashMap<>();
        for (Embedded e : items) {
            if (e.transform().equals("original")) {
                originals.put(e.id(), e);
            }
        }
        for (Embedded a : originals.values()) {
            for (Embedded b : originals.values()) {
                float s = dot(a.vector(), b.vector());
                if (a.id().compareTo(b.id()) < 0 && s > worst) {
                    worst = s;
                    worstPair = a.id() + " / " + b.id();
                }
            }
        }
        for (Embedded e : items) {
            if (!e.transform().equals("original")) {
                float s = dot(e.vector(), originals.get(e.original()).vector());
                lowest.merge(e.transform(), s, Math::min);
            }
        }
        System.out.printf("%nmost similar different originals: %.3f (%s)%n", worst, worstPair);
        System.out.println("least similar copy to its original, per transform: "
                + lowest.entrySet().stream()
                        .map(en -> en.getKey() + String.format(" %.3f", en.getValue()))
                        .toList());
        return worst;
    }

    static float dot(float[] a, float[] b) {
        double s = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return (float) (s / Math.sqrt(na * nb));
    }

    /** Item id to group (the index of the kept item it ends with). */
    static Map<String, Integer> groups(List<Embedded> items, NearDupParams params, ModelCard card) throws Exception {
        Map<String, String> decided = decisions(items, params, card);
        Map<String, Integer> keptIndex = new HashMap<>();
        Map<String, Integer> group = new HashMap<>();
        for (Embedded e : items) {
            String d = decided.get(e.id());
            if (d.equals("kept")) {
                keptIndex.put(e.id(), keptIndex.size());
            }
        }
        for (Embedded e : items) {
            String d = decided.get(e.id());
            group.put(e.id(), keptIndex.get(d.equals("kept") ? e.id() : d));
        }
        return group;
    }

    /** Item id to {@code kept} or the id it duplicates. */
    static Map<String, String> decisions(List<Embedded> items, NearDupParams params, ModelCard card) throws Exception {
        NearDuplicateIndex index = new NearDuplicateIndex(params, card.dimension(), new InMemoryLeaderStore());
        Map<String, String> out = new LinkedHashMap<>();
        for (Embedded e : items) {
            NearDuplicateIndex.Match m = index.offer(e.id(), e.vector());
            out.put(e.id(), m == null ? "kept" : m.id());
        }
        return out;
    }

    /**
     * The decisions of the partitioned operator, as the job makes them: a routing trained on the items' vectors
     * (at most 32 partitions, 16 vectors each at least), each item decided in its home partition (its own index,
     * hyperplanes through the routing's centre) and, if kept, remembered in the partitions within the margin.
     */
    static Map<String, String> partitioned(List<Embedded> items, NearDupParams params, ModelCard card, float margin)
            throws Exception {
        List<Embedded> byId = new ArrayList<>(items);
        byId.sort(Comparator.comparing(Embedded::id));
        List<float[]> sample = new ArrayList<>();
        byId.forEach(e -> sample.add(NearDuplicateIndex.unit(e.vector())));
        Routing routing = Routing.train(sample, 32, margin);
        NearDuplicateIndex[] parts = new NearDuplicateIndex[routing.partitions()];
        for (int i = 0; i < parts.length; i++) {
            parts[i] = new NearDuplicateIndex(params, card.dimension(), new InMemoryLeaderStore());
            if (routing.center() != null) {
                parts[i].useCenter(routing.center());
            }
        }
        Map<String, String> out = new LinkedHashMap<>();
        int replicas = 0;
        for (Embedded e : items) {
            int[] where = routing.partitions(NearDuplicateIndex.unit(e.vector()));
            NearDuplicateIndex.Match m = parts[where[0]].offer(e.id(), e.vector());
            out.put(e.id(), m == null ? "kept" : m.id());
            if (m == null) {
                for (int i = 1; i < where.length; i++) {
                    parts[where[i]].offer(e.id(), e.vector(), true);
                    replicas++;
                }
            }
        }
        System.out.printf(
                "partitioned: %s over %d items, %d replicas of kept items%n", routing, items.size(), replicas);
        return out;
    }

    /** Greedy leader clustering over the float vectors, exhaustively, with sums in double precision. */
    static Map<String, String> floatDecisions(List<Embedded> items, float threshold) {
        List<Embedded> leaders = new ArrayList<>();
        Map<String, String> out = new LinkedHashMap<>();
        for (Embedded e : items) {
            Embedded best = null;
            double bestSim = -2;
            for (Embedded l : leaders) {
                double sim = dot(e.vector(), l.vector()); // the cosine, in double sums
                if (sim > bestSim) {
                    bestSim = sim;
                    best = l;
                }
            }
            if (best != null && bestSim >= threshold) {
                out.put(e.id(), best.id());
            } else {
                leaders.add(e);
                out.put(e.id(), "kept");
            }
        }
        return out;
    }

    static void compare(String what, Map<String, String> one, Map<String, String> parts) {
        int same = 0;
        int dups = 0;
        int found = 0;
        for (String id : one.keySet()) {
            same += one.get(id).equals(parts.get(id)) ? 1 : 0;
            if (!one.get(id).equals("kept")) {
                dups++;
                found += parts.get(id).equals("kept") ? 0 : 1;
            }
        }
        System.out.printf(
                "%s: %d of %d decisions identical; duplicates found %d of one partition's %d (recall %.3f)%n",
                what, same, one.size(), found, dups, dups == 0 ? 1.0 : (double) found / dups);
    }

    static final class Pairs {
        long predicted;
        long truth;
        long correct;
        long falseAcrossOriginals;

        double precision() {
            return predicted == 0 ? 1 : (double) correct / predicted;
        }

        double recall() {
            return truth == 0 ? 1 : (double) correct / truth;
        }

        double f1() {
            double p = precision();
            double r = recall();
            return p + r == 0 ? 0 : 2 * p * r / (p + r);
        }
    }

    /** Pair counts; with {@code transform}, only pairs that involve a copy made by it. */
    static Pairs pairs(List<Embedded> items, Map<String, Integer> group, String transform) {
        Pairs p = new Pairs();
        for (int i = 0; i < items.size(); i++) {
            for (int j = i + 1; j < items.size(); j++) {
                Embedded a = items.get(i);
                Embedded b = items.get(j);
                if (transform != null
                        && !a.transform().equals(transform)
                        && !b.transform().equals(transform)) {
                    continue;
                }
                if (transform != null
                        && a.original().equals(b.original())
                        && !a.transform().equals("original")
                        && !b.transform().equals("original")) {
                    continue; // per transform: a copy against its original, not against the other copies
                }
                boolean same = a.original().equals(b.original());
                boolean together = group.get(a.id()).equals(group.get(b.id()));
                p.truth += same ? 1 : 0;
                p.predicted += together ? 1 : 0;
                p.correct += same && together ? 1 : 0;
                if (together
                        && !same
                        && a.transform().equals("original")
                        && b.transform().equals("original")) {
                    p.falseAcrossOriginals++;
                }
            }
        }
        return p;
    }
}
