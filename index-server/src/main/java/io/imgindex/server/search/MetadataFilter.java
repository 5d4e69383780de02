package io.imgindex.server.search;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A filter on metadata columns. An object's conditions all hold (and); {@code or}, {@code and} and {@code not}
 * combine filters:
 *
 * <pre>
 * {"license": "CC0-1.0"}                      equality (numbers compare as numbers on number columns)
 * {"license": {"in": ["CC0-1.0", "MIT"]}}     one of
 * {"price": {"gte": 1, "lt": 10}}             a range on a number column (gt, gte, lt, lte)
 * {"or": [{"license": "MIT"}, {"price": {"lt": 1}}]}     either
 * {"not": {"license": "CC-BY-NC-4.0"}}                    all but
 * {"and": [{...}, {...}]}                                 both (as one object's keys are)
 * </pre>
 *
 * {@code and}, {@code or} and {@code not} are operators unless the index has a metadata column of that name, which
 * they then mean. A filter nests at most {@link #MAX_DEPTH} levels and holds at most {@link #MAX_CONDITIONS}
 * conditions, so that no request costs more than a few passes over a shard's columns. Immutable and thread-safe.
 */
public final class MetadataFilter {

    /** The most values an {@code in} list may have. */
    public static final int MAX_IN_VALUES = 1_024;

    /** The deepest nesting of {@code and}, {@code or} and {@code not}. */
    public static final int MAX_DEPTH = 8;

    /** The most conditions (column tests) one filter may hold. */
    public static final int MAX_CONDITIONS = 64;

    /** A node of the filter: a test of one column, or a combination of filters. */
    private sealed interface Node permits OneOf, Range, All, Any, None {}

    private record OneOf(String key, Set<String> texts, double[] numbers) implements Node {}

    private record Range(String key, double lower, boolean lowerInclusive, double upper, boolean upperInclusive)
            implements Node {}

    /** Every child holds. */
    private record All(List<Node> children) implements Node {}

    /** Some child holds. */
    private record Any(List<Node> children) implements Node {}

    /** The child does not hold. */
    private record None(Node child) implements Node {}

    private final Node root;

    private MetadataFilter(Node root) {
        this.root = root;
    }

    /**
     * Parses a filter.
     *
     * @param columns the metadata columns of the index, by name, with type {@code number} or {@code string}
     * @throws IllegalArgumentException naming the bad key or operator
     */
    public static MetadataFilter parse(JsonNode filter, Map<String, String> columns) {
        return new MetadataFilter(new Parser(columns).object(filter, 1));
    }

    private static final class Parser {
        private final Map<String, String> columns;
        private int conditions;

        Parser(Map<String, String> columns) {
            this.columns = columns;
        }

        private Node object(JsonNode filter, int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("filter nests deeper than " + MAX_DEPTH + " levels");
            }
            if (!filter.isObject()) {
                throw new IllegalArgumentException("a filter must be an object of metadata conditions");
            }
            List<Node> all = new ArrayList<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = filter.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                String key = e.getKey();
                JsonNode v = e.getValue();
                if (!columns.containsKey(key)) {
                    switch (key) {
                        case "and" -> {
                            all.add(new All(list(key, v, depth)));
                            continue;
                        }
                        case "or" -> {
                            all.add(new Any(list(key, v, depth)));
                            continue;
                        }
                        case "not" -> {
                            all.add(new None(object(v, depth + 1)));
                            continue;
                        }
                        default -> throw new IllegalArgumentException("unknown metadata column '" + key
                                + "' (the index has " + columns.keySet() + "; and, or and not combine filters)");
                    }
                }
                column(key, v, all);
            }
            return all.size() == 1 ? all.get(0) : new All(List.copyOf(all));
        }

        private List<Node> list(String op, JsonNode v, int depth) {
            if (!v.isArray() || v.isEmpty()) {
                throw new IllegalArgumentException("'" + op + "' needs a non-empty array of filters");
            }
            List<Node> children = new ArrayList<>();
            for (JsonNode child : v) {
                children.add(object(child, depth + 1));
            }
            return List.copyOf(children);
        }

        private void counted() {
            if (++conditions > MAX_CONDITIONS) {
                throw new IllegalArgumentException("filter has more than " + MAX_CONDITIONS + " conditions");
            }
        }

        private void column(String key, JsonNode v, List<Node> out) {
            if (v.isValueNode()) {
                counted();
                out.add(oneOf(key, List.of(v)));
                return;
            }
            if (!v.isObject()) {
                throw new IllegalArgumentException("filter on '" + key + "' must be a value or an object of operators");
            }
            double lower = Double.NEGATIVE_INFINITY;
            double upper = Double.POSITIVE_INFINITY;
            boolean lowerInclusive = true;
            boolean upperInclusive = true;
            boolean range = false;
            for (Iterator<Map.Entry<String, JsonNode>> ops = v.fields(); ops.hasNext(); ) {
                Map.Entry<String, JsonNode> op = ops.next();
                counted();
                switch (op.getKey()) {
                    case "eq" -> out.add(oneOf(key, List.of(op.getValue())));
                    case "in" -> {
                        if (!op.getValue().isArray() || op.getValue().isEmpty()) {
                            throw new IllegalArgumentException("'in' on '" + key + "' needs a non-empty array");
                        }
                        if (op.getValue().size() > MAX_IN_VALUES) {
                            throw new IllegalArgumentException("'in' on '" + key + "' has "
                                    + op.getValue().size() + " values; at most " + MAX_IN_VALUES);
                        }
                        List<JsonNode> values = new ArrayList<>();
                        op.getValue().forEach(values::add);
                        out.add(oneOf(key, values));
                    }
                    case "gt", "gte", "lt", "lte" -> {
                        if (!op.getValue().isNumber()) {
                            throw new IllegalArgumentException("'" + op.getKey() + "' on '" + key + "' needs a number");
                        }
                        if (!"number".equals(columns.get(key))) {
                            throw new IllegalArgumentException("'" + key + "' is a string column: ranges need numbers");
                        }
                        double x = op.getValue().asDouble();
                        range = true;
                        switch (op.getKey()) {
                            case "gt" -> {
                                lower = x;
                                lowerInclusive = false;
                            }
                            case "gte" -> lower = x;
                            case "lt" -> {
                                upper = x;
                                upperInclusive = false;
                            }
                            default -> upper = x;
                        }
                    }
                    default -> throw new IllegalArgumentException(
                            "unknown operator '" + op.getKey() + "' on '" + key + "' (use eq, in, gt, gte, lt, lte)");
                }
            }
            if (range) {
                out.add(new Range(key, lower, lowerInclusive, upper, upperInclusive));
            }
        }
    }

    private static OneOf oneOf(String key, List<JsonNode> values) {
        Set<String> texts = new HashSet<>();
        double[] numbers = new double[values.size()];
        int n = 0;
        for (JsonNode v : values) {
            if (!v.isValueNode() || v.isNull()) {
                throw new IllegalArgumentException("values for '" + key + "' must be strings or numbers");
            }
            texts.add(v.asText());
            if (v.isNumber()) {
                numbers[n++] = v.asDouble();
            }
        }
        return new OneOf(key, texts, Arrays.copyOf(numbers, n));
    }

    /** The rows of a shard that pass, by shard ordinal. */
    public BitSet matches(ShardIndex shard) {
        BitSet result = new BitSet(shard.size());
        for (int s = 0; s < shard.segments().size(); s++) {
            BitSet local = rows(shard.segments().get(s), root);
            int base = shard.start(s);
            for (int i = local.nextSetBit(0); i >= 0; i = local.nextSetBit(i + 1)) {
                result.set(base + i);
            }
        }
        return result;
    }

    /** The rows of a segment that pass a node. */
    private static BitSet rows(Segment segment, Node node) {
        if (node instanceof OneOf one) {
            return oneOfRows(segment, one);
        }
        if (node instanceof Range range) {
            return rangeRows(segment, range);
        }
        if (node instanceof None none) {
            BitSet out = rows(segment, none.child());
            out.flip(0, segment.size());
            return out;
        }
        BitSet out = new BitSet(segment.size());
        if (node instanceof Any any) {
            for (Node child : any.children()) {
                out.or(rows(segment, child));
            }
            return out;
        }
        out.set(0, segment.size());
        for (Node child : ((All) node).children()) {
            if (out.isEmpty()) {
                break;
            }
            out.and(rows(segment, child));
        }
        return out;
    }

    private static BitSet oneOfRows(Segment segment, OneOf one) {
        int n = segment.size();
        BitSet out = new BitSet(n);
        String[] texts = segment.rows().metadataColumn(one.key());
        double[] numbers = segment.numberColumn(one.key());
        for (int i = 0; i < n; i++) {
            if (texts != null && texts[i] != null && one.texts().contains(texts[i])) {
                out.set(i);
            } else if (numbers != null && !Double.isNaN(numbers[i])) {
                for (double x : one.numbers()) {
                    if (numbers[i] == x) {
                        out.set(i);
                        break;
                    }
                }
            }
        }
        return out;
    }

    private static BitSet rangeRows(Segment segment, Range r) {
        int n = segment.size();
        BitSet out = new BitSet(n);
        double[] numbers = segment.numberColumn(r.key());
        if (numbers == null) {
            return out;
        }
        for (int i = 0; i < n; i++) {
            double x = numbers[i];
            if (!Double.isNaN(x)
                    && (r.lowerInclusive() ? x >= r.lower() : x > r.lower())
                    && (r.upperInclusive() ? x <= r.upper() : x < r.upper())) {
                out.set(i);
            }
        }
        return out;
    }
}
