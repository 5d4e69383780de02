package io.imgindex.flags;

import java.io.PrintStream;
import java.util.List;

/**
 * One command of {@code bin/imgindex}: its flags, its {@code --help}, and what it does with a parsed command line.
 * Every command is parsed, helped and run the same way; {@link #parse} alone checks a command line without running
 * it (the documentation tests check every documented command with it).
 *
 * @param name the word after {@code imgindex}
 * @param usage the usage line(s) of {@code --help}
 * @param summary what the command does, for {@code --help}
 * @param options the command's flags
 * @param conf what {@code --conf KEY=VALUE} means to it, if anything
 * @param takesArguments whether words that are not flags (file names) are its arguments
 * @param runner what it does; returns the exit code
 */
public record Command(
        String name,
        String usage,
        String summary,
        List<Option<?>> options,
        Flags.Conf conf,
        boolean takesArguments,
        Runner runner) {

    /** Runs a parsed command line; returns the exit code. */
    @FunctionalInterface
    public interface Runner {
        int run(Flags.Parsed parsed, PrintStream out) throws Exception;
    }

    public Command {
        options = List.copyOf(options);
    }

    /**
     * Parses a command line (the words after the command's name).
     *
     * @throws UsageException naming what is wrong
     */
    public Flags.Parsed parse(String[] args) {
        return takesArguments ? Flags.parseWithArguments(args, options, conf) : Flags.parse(args, options, conf);
    }

    /** The {@code --help} text. */
    public String help() {
        return Flags.help(usage, summary, options, conf);
    }

    /** Parses, prints the help when asked, else runs; returns the exit code. */
    public int run(String[] args, PrintStream out) throws Exception {
        Flags.Parsed parsed = parse(args);
        if (parsed.help()) {
            out.println(help());
            return 0;
        }
        return runner.run(parsed, out);
    }
}
