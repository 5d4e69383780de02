package io.imgindex.flags;

import java.util.List;

/**
 * One flag of a command: its key ({@code --<key>}), the type of its value, whether it repeats, its default and what
 * it means. Immutable; made with {@link Options#key}.
 *
 * @param <T> the value's type ({@code List<E>} for a repeated flag)
 */
public final class Option<T> {

    private final String key;
    private final Class<?> type;
    private final boolean list;
    private final T defaultValue;
    private final boolean hasDefault;
    private final String description;

    Option(String key, Class<?> type, boolean list, T defaultValue, boolean hasDefault, String description) {
        this.key = key;
        this.type = type;
        this.list = list;
        this.defaultValue = list && defaultValue != null ? castList(defaultValue) : defaultValue;
        this.hasDefault = hasDefault;
        this.description = description;
    }

    @SuppressWarnings("unchecked")
    private static <T> T castList(T value) {
        return (T) List.copyOf((List<?>) value);
    }

    /** The same option with a description, for {@code --help}. */
    public Option<T> withDescription(String text) {
        return new Option<>(key, type, list, defaultValue, hasDefault, text);
    }

    public String key() {
        return key;
    }

    /** The type of the value, or of each value of a repeated flag. */
    public Class<?> type() {
        return type;
    }

    /** Whether the flag repeats, its values collected in a list. */
    public boolean isList() {
        return list;
    }

    public boolean hasDefaultValue() {
        return hasDefault;
    }

    /** The default value; null without one. */
    public T defaultValue() {
        return defaultValue;
    }

    public String description() {
        return description;
    }

    @Override
    public String toString() {
        return "--" + key;
    }
}
