package io.imgindex.server.search;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A filter on metadata columns, all conditions ANDed:
 *
 * <pre>
 * {"license": "CC0-1.0"}                      equality (numbers compare as numbers on number columns)
 * {"license": {"in": ["CC0-1.0", "MIT"]}}     one of
 * {"price": {"gte": 1, "lt": 10}}             a range on a number column (gt, gte, lt, lte)
 * </pre>
 *
 * Immutable and thread-safe.
 */
public final class MetadataFilter {

    /** The most values an {@code in} list may have. */
    public static final int MAX_IN_VALUES = 1_024;

    private sealed interface Condition permits OneOf, Range {
        String key();
    }

    private record OneOf(String key, Set<String> texts, double[] numbers) implements Condition {}

    private record Range(String key, double lower, boolean lowerInclusive, double upper, boolean upperInclusive)
            implements Condition {}

    private final List<Condition> conditions;

    private MetadataFilter(List<Condition> conditions) {
        this.conditions = conditions;
    }

    /**
     * Parses a filter.
     *
     * @param columns the metadata columns of the index, by name, with type {@code number} or {@code string}
     * @throws IllegalArgumentException naming the bad key or operator
     */
    public static MetadataFilter parse(JsonNode filter, Map<String, String> columns) {
        if (!filter.isObject()) {
            throw new IllegalArgumentException("filter must be an object of metadata conditions");
        }
        List<Condition> conditions = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = filter.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (!columns.containsKey(key)) {
                throw new IllegalArgumentException(
                        "unknown metadata column '" + key + "' (the index has " + columns.keySet() + ")");
            }
            JsonNode v = e.getValue();
            if (v.isValueNode()) {
                conditions.add(oneOf(key, List.of(v)));
                continue;
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
                switch (op.getKey()) {
                    case "eq" -> conditions.add(oneOf(key, List.of(op.getValue())));
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
                        conditions.add(oneOf(key, values));
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
                conditions.add(new Range(key, lower, lowerInclusive, upper, upperInclusive));
            }
        }
        return new MetadataFilter(List.copyOf(conditions));
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
        return new OneOf(key, texts, java.util.Arrays.copyOf(numbers, n));
    }

    /** The rows of a shard that pass, by shard ordinal. */
    public BitSet matches(ShardIndex shard) {
        BitSet result = new BitSet(shard.size());
        for (int s = 0; s < shard.segments().size(); s++) {
            Segment segment = shard.segments().get(s);
            BitSet local = new BitSet(segment.size());
            local.set(0, segment.size());
            for (Condition c : conditions) {
                local.and(rows(segment, c));
            }
            int base = shard.start(s);
            for (int i = local.nextSetBit(0); i >= 0; i = local.nextSetBit(i + 1)) {
                result.set(base + i);
            }
        }
        return result;
    }

    private static BitSet rows(Segment segment, Condition c) {
        int n = segment.size();
        BitSet out = new BitSet(n);
        String[] texts = segment.rows().metadataColumn(c.key());
        double[] numbers = segment.numberColumn(c.key());
        if (c instanceof OneOf one) {
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
        Range r = (Range) c;
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
