package io.imgindex.flags;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds {@link Option}s: {@code Options.key("shards").intType().defaultValue(4).withDescription("…")}; a repeated
 * flag is {@code .stringType().asList().noDefaultValue()}.
 */
public final class Options {

    private Options() {}

    public static Key key(String key) {
        if (key == null || key.isBlank() || key.startsWith("-") || key.contains("=") || key.contains(" ")) {
            throw new IllegalArgumentException("not a flag key: '" + key + "'");
        }
        return new Key(key);
    }

    /** An option's key, waiting for its type. */
    public static final class Key {
        private final String key;

        private Key(String key) {
            this.key = key;
        }

        public Typed<Integer> intType() {
            return new Typed<>(key, Integer.class);
        }

        public Typed<Long> longType() {
            return new Typed<>(key, Long.class);
        }

        public Typed<Float> floatType() {
            return new Typed<>(key, Float.class);
        }

        public Typed<Double> doubleType() {
            return new Typed<>(key, Double.class);
        }

        public Typed<Boolean> booleanType() {
            return new Typed<>(key, Boolean.class);
        }

        public Typed<String> stringType() {
            return new Typed<>(key, String.class);
        }

        /** A duration: {@code 500ms}, {@code 5 s}, {@code 2min} (a bare number is milliseconds). */
        public Typed<Duration> durationType() {
            return new Typed<>(key, Duration.class);
        }

        /** A size in bytes: {@code 512kb}, {@code 20 mb} (binary multiples; a bare number is bytes). */
        public Typed<ByteSize> memoryType() {
            return new Typed<>(key, ByteSize.class);
        }

        /** One of an enum's constants, named in any case. */
        public <E extends Enum<E>> Typed<E> enumType(Class<E> type) {
            return new Typed<>(key, type);
        }
    }

    /** An option with its key and type, waiting for its default. */
    public static final class Typed<T> {
        private final String key;
        private final Class<T> type;

        private Typed(String key, Class<T> type) {
            this.key = key;
            this.type = type;
        }

        public Option<T> defaultValue(T value) {
            if (value == null) {
                throw new IllegalArgumentException("--" + key + ": a default value cannot be null");
            }
            return new Option<>(key, type, false, value, true, "");
        }

        public Option<T> noDefaultValue() {
            return new Option<>(key, type, false, null, false, "");
        }

        /** A flag that repeats: its values in order. */
        public Listed<T> asList() {
            return new Listed<>(key, type);
        }
    }

    /** A repeated option, waiting for its default. */
    public static final class Listed<T> {
        private final String key;
        private final Class<T> type;

        private Listed(String key, Class<T> type) {
            this.key = key;
            this.type = type;
        }

        @SafeVarargs
        public final Option<List<T>> defaultValues(T... values) {
            List<T> list = new ArrayList<>(values.length);
            for (T v : values) {
                list.add(v);
            }
            return new Option<>(key, type, true, List.copyOf(list), true, "");
        }

        public Option<List<T>> noDefaultValue() {
            return new Option<>(key, type, true, null, false, "");
        }
    }
}
