package io.imgindex.flags;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The values a command line gave its options, typed: {@link #get} answers the value given, else the option's
 * default. Immutable once parsed; {@link #with} makes a changed copy (tests, and commands that fill in a value).
 */
public final class Settings {

    private final Map<String, Object> values;

    private Settings(Map<String, Object> values) {
        this.values = values;
    }

    /** No value given for any option. */
    public static Settings empty() {
        return new Settings(Map.of());
    }

    /** The value given for {@code option}, else its default (null when it has none). */
    @SuppressWarnings("unchecked")
    public <T> T get(Option<T> option) {
        Object v = values.get(option.key());
        return v != null ? (T) v : option.defaultValue();
    }

    /** The value given for {@code option}, else its default, else nothing. */
    public <T> Optional<T> getOptional(Option<T> option) {
        return Optional.ofNullable(get(option));
    }

    /** Whether the command line gave {@code option} a value. */
    public boolean contains(Option<?> option) {
        return values.containsKey(option.key());
    }

    /** The same settings with {@code option} set to {@code value}. */
    public <T> Settings with(Option<T> option, T value) {
        Map<String, Object> copy = new LinkedHashMap<>(values);
        copy.put(option.key(), option.isList() ? List.copyOf((List<?>) value) : value);
        return new Settings(Map.copyOf(copy));
    }

    /** The keys given, in the order given. */
    public Set<String> keys() {
        return values.keySet();
    }

    @Override
    public String toString() {
        return values.toString();
    }

    /** Collects the values of one command line. */
    static final class Builder {
        private final Map<String, Object> values = new LinkedHashMap<>();

        /**
         * Sets {@code option} from its text.
         *
         * @throws IllegalArgumentException if the text is not a value of the option's type
         */
        void parse(Option<?> option, String text) {
            values.put(option.key(), convert(option.type(), text));
        }

        void list(Option<?> option, List<String> texts) {
            values.put(
                    option.key(),
                    texts.stream().map(t -> convert(option.type(), t)).toList());
        }

        Settings build() {
            return new Settings(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
        }
    }

    /** A flag's text as a value of {@code type}. */
    static Object convert(Class<?> type, String text) {
        String t = text.strip();
        if (type == String.class) {
            return text;
        }
        if (type == Integer.class) {
            return Integer.parseInt(t);
        }
        if (type == Long.class) {
            return Long.parseLong(t);
        }
        if (type == Double.class) {
            return Double.parseDouble(t);
        }
        if (type == Float.class) {
            return Float.parseFloat(t);
        }
        if (type == Boolean.class) {
            if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
                return Boolean.parseBoolean(t);
            }
            throw new IllegalArgumentException("not true or false: '" + text + "'");
        }
        if (type == Duration.class) {
            return Durations.parse(t);
        }
        if (type == ByteSize.class) {
            return ByteSize.parse(t);
        }
        if (type.isEnum()) {
            for (Object c : type.getEnumConstants()) {
                if (c.toString().toUpperCase(Locale.ROOT).equals(t.toUpperCase(Locale.ROOT))) {
                    return c;
                }
            }
            throw new IllegalArgumentException("not one of " + Arrays.toString(type.getEnumConstants()));
        }
        throw new IllegalArgumentException("no parser for " + type.getName());
    }
}
