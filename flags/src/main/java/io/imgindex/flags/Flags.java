package io.imgindex.flags;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Command-line flags of typed {@link Option}s: {@code --<key> VALUE} or {@code --<key>=VALUE};
 * boolean options are bare flags ({@code --<key>}; off with {@code --no-<key>} or {@code --<key>=false}); list
 * options repeat. Anything
 * else is refused with a one-line message naming the flag. {@code --conf KEY=VALUE} passes a setting to Flink
 * itself (for example {@code s3.endpoint}).
 */
public final class Flags {

    /** What a command line said. */
    public record Parsed(Settings options, Map<String, String> flinkConf, boolean help, List<String> arguments) {

        public Parsed(Settings options, Map<String, String> flinkConf, boolean help) {
            this(options, flinkConf, help, List.of());
        }
    }

    /** What {@code --conf KEY=VALUE} means to a command, if it takes it at all. */
    public enum Conf {
        /** The command takes no {@code --conf}. */
        NONE,
        /** Settings of the S3 file system only: Flink's {@code s3.*} keys or Hadoop's {@code fs.s3a.*}. */
        S3,
        /** Any Flink setting, for the job (a local run's MiniCluster, or the cluster's job configuration). */
        FLINK
    }

    private Flags() {}

    /** Parses the flags of a command that takes any Flink setting with {@code --conf} (the job's). */
    public static Parsed parse(String[] args, List<Option<?>> options) {
        return parse(args, options, Conf.FLINK);
    }

    /**
     * Parses {@code args} against {@code options}.
     *
     * @throws UsageException on an unknown flag, a missing value, a value of the wrong type, a {@code --conf} the
     *     command does not take, or a positional argument
     */
    public static Parsed parse(String[] args, List<Option<?>> options, Conf conf) {
        return parse(args, options, conf, false);
    }

    /**
     * Parses {@code args} against {@code options}, keeping the arguments that are not flags (file names) in
     * {@link Parsed#arguments()}; {@code --} ends the flags.
     */
    public static Parsed parseWithArguments(String[] args, List<Option<?>> options, Conf conf) {
        return parse(args, options, conf, true);
    }

    private static Parsed parse(String[] args, List<Option<?>> options, Conf confKind, boolean takeArguments) {
        Map<String, Option<?>> byKey = new LinkedHashMap<>();
        for (Option<?> o : options) {
            byKey.put(o.key(), o);
        }
        Settings.Builder conf = new Settings.Builder();
        Map<String, String> flink = new LinkedHashMap<>();
        Map<String, List<String>> lists = new LinkedHashMap<>();
        Set<String> seen = new HashSet<>();
        boolean help = false;
        List<String> arguments = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (arg.equals("--help") || arg.equals("-h")) {
                help = true;
                continue;
            }
            if (takeArguments && arg.equals("--")) {
                arguments.addAll(Arrays.asList(args).subList(i + 1, args.length));
                break;
            }
            if (takeArguments && (!arg.startsWith("-") || arg.equals("-"))) {
                arguments.add(arg);
                continue;
            }
            if (!arg.startsWith("--") || arg.length() == 2) {
                throw new UsageException("unexpected argument '" + arg + "' (flags start with --; see --help)");
            }
            String name = arg.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            if (name.equals("conf") && confKind != Conf.NONE) {
                String kv = value != null ? value : next(args, ++i, "--conf");
                int sep = kv.indexOf('=');
                if (sep <= 0) {
                    throw new UsageException("--conf needs KEY=VALUE, got '" + kv + "'");
                }
                String key = kv.substring(0, sep).strip();
                if (confKind == Conf.S3 && !isS3Key(key)) {
                    throw new UsageException(
                            "--conf takes S3 settings only here (s3.* or fs.s3a.*), got '" + key + "'");
                }
                flink.put(key, kv.substring(sep + 1).strip());
                continue;
            }
            Option<?> option = byKey.get(name);
            if (option == null && name.startsWith("no-") && value == null) {
                Option<?> negated = byKey.get(name.substring(3));
                if (negated != null && negated.type() == Boolean.class) {
                    if (!seen.add(negated.key())) {
                        throw new UsageException("--" + negated.key() + " is given more than once");
                    }
                    conf.parse(negated, "false");
                    continue;
                }
            }
            if (option == null) {
                throw new UsageException("unknown flag --" + name + " (see --help)");
            }
            Class<?> type = option.type();
            if (type == Boolean.class) {
                String v = value == null ? "true" : value;
                if (!v.equalsIgnoreCase("true") && !v.equalsIgnoreCase("false")) {
                    throw new UsageException("--" + name + " takes no value, or =true / =false; got '" + v + "'");
                }
                if (value == null && i + 1 < args.length && isBooleanWord(args[i + 1])) {
                    throw new UsageException("--" + name + " takes no value: write --" + name + ", --" + name + "="
                            + args[i + 1].toLowerCase(Locale.ROOT) + " or --no-" + name);
                }
                if (!seen.add(name)) {
                    throw new UsageException("--" + name + " is given more than once");
                }
                conf.parse(option, v);
                continue;
            }
            if (value == null) {
                value = next(args, ++i, "--" + name);
            }
            if (option.isList()) {
                lists.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
                continue;
            }
            if (!seen.add(name)) {
                throw new UsageException("--" + name + " is given more than once");
            }
            parseValue(conf, option, value);
        }
        for (Map.Entry<String, List<String>> e : lists.entrySet()) {
            Option<?> listOption = byKey.get(e.getKey());
            try {
                conf.list(listOption, e.getValue());
            } catch (IllegalArgumentException bad) {
                throw new UsageException(
                        "bad value for --" + listOption.key() + " (expected " + expected(listOption.type()) + ")", bad);
            }
        }
        return new Parsed(conf.build(), flink, help, List.copyOf(arguments));
    }

    /** The {@code --help} text of a command. */
    public static String help(String usage, String summary, List<Option<?>> options, Conf conf) {
        StringBuilder s = new StringBuilder();
        s.append("Usage: ").append(usage).append("\n\n").append(summary).append("\n\nOptions:\n");
        for (Option<?> o : options) {
            Class<?> type = o.type();
            s.append("  --").append(o.key());
            if (type != Boolean.class) {
                s.append(' ').append(valueName(o.key(), type));
            } else {
                s.append(" | --no-").append(o.key());
            }
            List<String> notes = new ArrayList<>();
            if (o.isList()) {
                notes.add("repeatable");
            }
            if (o.hasDefaultValue() && !(o.isList() && ((List<?>) o.defaultValue()).isEmpty())) {
                notes.add("default: " + show(o.defaultValue()));
            }
            if (!notes.isEmpty()) {
                s.append("  (").append(String.join(", ", notes)).append(')');
            }
            s.append('\n');
            s.append(wrap(o.description(), "      ", 96)).append('\n');
        }
        String confText =
                switch (conf) {
                    case NONE -> null;
                    case S3 -> "A setting of the S3 file system: Flink's s3.* keys (s3.endpoint=http://127.0.0.1:9000,"
                            + " s3.path.style.access=true, s3.endpoint.region=eu-west-1) or Hadoop's fs.s3a.* keys."
                            + " Credentials come from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY),"
                            + " never from flags.";
                    case FLINK -> "A Flink setting for the job, e.g. s3.endpoint=http://127.0.0.1:9000,"
                            + " state.backend.type=rocksdb or taskmanager.numberOfTaskSlots=4. A local run's"
                            + " memory is the launcher's JVM: set IMGINDEX_JAVA_OPTS=-Xmx8g (process and"
                            + " task manager memory sizes apply on a cluster only). S3 credentials come from the"
                            + " environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY), never from flags.";
                };
        if (confText != null) {
            s.append("  --conf KEY=VALUE  (repeatable)\n")
                    .append(wrap(confText, "      ", 96))
                    .append('\n');
        }
        s.append("  --help\n      Show this help.\n");
        return s.toString();
    }

    private static boolean isS3Key(String key) {
        return key.startsWith("s3.") || key.startsWith("s3a.") || key.startsWith("fs.s3a.");
    }

    private static boolean isBooleanWord(String arg) {
        return arg.equalsIgnoreCase("true") || arg.equalsIgnoreCase("false");
    }

    private static String next(String[] args, int i, String flag) {
        if (i >= args.length || (args[i].startsWith("--") && args[i].length() > 2)) {
            throw new UsageException("flag " + flag + " needs a value");
        }
        return args[i];
    }

    private static void parseValue(Settings.Builder conf, Option<?> option, String value) {
        try {
            conf.parse(option, value);
        } catch (IllegalArgumentException e) {
            throw new UsageException(
                    "bad value for --" + option.key() + ": '" + value + "' (expected " + expected(option.type()) + ")",
                    e);
        }
    }

    private static String expected(Class<?> type) {
        if (type.isEnum()) {
            return "one of "
                    + String.join(
                            ", ",
                            Arrays.stream(type.getEnumConstants())
                                    .map(String::valueOf)
                                    .toList());
        }
        if (type == Integer.class || type == Long.class) {
            return "a whole number";
        }
        if (type == Duration.class) {
            return "a duration such as 500ms, 5s or 2min";
        }
        if (type == ByteSize.class) {
            return "a size such as 512kb or 20mb";
        }
        if (type == Double.class || type == Float.class) {
            return "a number";
        }
        return type.getSimpleName().toLowerCase(Locale.ROOT);
    }

    private static String valueName(String key, Class<?> type) {
        if (type == Integer.class || type == Long.class) {
            return "N";
        }
        if (type == Duration.class) {
            return "DURATION";
        }
        if (type == ByteSize.class) {
            return "SIZE";
        }
        return key.equals("input") || key.endsWith("root") || key.equals("model")
                ? "PATH"
                : key.equals("output") ? "DIR_OR_URI" : "VALUE";
    }

    private static String show(Object value) {
        if (value instanceof Duration d) {
            return Durations.format(d);
        }
        return String.valueOf(value);
    }

    private static String wrap(String text, String indent, int width) {
        StringBuilder out = new StringBuilder(indent);
        int col = indent.length();
        for (String word : text.split(" ")) {
            if (col + word.length() + 1 > width && col > indent.length()) {
                out.append('\n').append(indent);
                col = indent.length();
            } else if (col > indent.length()) {
                out.append(' ');
                col++;
            }
            out.append(word);
            col += word.length();
        }
        return out.toString();
    }
}
