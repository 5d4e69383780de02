package io.imgindex.cli;

import io.imgindex.flags.Command;
import io.imgindex.flags.UsageException;
import io.imgindex.flags.Version;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of {@code bin/imgindex}: dispatches to a subcommand. Exit codes: 0 when the command ran (an
 * index run counts bad records, it does not fail on them), 2 for a bad command line or configuration (with a
 * one-line reason), 1 when the run itself failed.
 */
public final class ImgIndexCli {

    static final String COMMANDS =
            """
            Usage: imgindex COMMAND [options]

            Commands:
              index     run the indexing job on an embedded Flink MiniCluster: batch over URL lists, or
                        --mode streaming from a RabbitMQ queue until stopped (with a savepoint)
              enroll    publish URL lists to the stream job's RabbitMQ queue, with publisher confirms
              compact   merge each shard's small segments into one, as a new generation; --retain N deletes
                        generations older than the last N
              inspect   read a generation, verify it against its manifest, show rows and a similarity query
              serve     serve k-nearest-neighbour queries over HTTP (a shard server, or --router)
              import-model
                        convert a TensorFlow.js model, or describe a SavedModel, for use by imgindex

            Run 'imgindex COMMAND --help' for a command's options, 'imgindex --version' for the version.""";

    private static final Logger LOG = LoggerFactory.getLogger(ImgIndexCli.class);

    /** The commands this class runs ({@code serve} runs in its own JVM, on the server's class path). */
    public static final List<Command> COMMANDS_RUN_HERE = List.of(
            IndexCommand.COMMAND,
            InspectCommand.COMMAND,
            EnrollCommand.COMMAND,
            CompactCommand.COMMAND,
            ImportModelCommand.COMMAND);

    private static final Map<String, Command> COMMANDS_BY_NAME =
            COMMANDS_RUN_HERE.stream().collect(Collectors.toMap(Command::name, c -> c));

    private ImgIndexCli() {}

    /** The command named {@code name}, if this class runs it. */
    public static Optional<Command> command(String name) {
        return Optional.ofNullable(COMMANDS_BY_NAME.get(name));
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs a command line; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("--help") || args[0].equals("-h") || args[0].equals("help")) {
            out.println(COMMANDS);
            return args.length == 0 ? 2 : 0;
        }
        if (args[0].equals("--version") || args[0].equals("version")) {
            out.println(Version.line());
            return 0;
        }
        String command = args[0];
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        try {
            Command c = COMMANDS_BY_NAME.get(command);
            if (c == null) {
                err.println("imgindex: unknown command '" + command
                        + "' (commands: index, enroll, compact, inspect, serve, import-model; see --help)");
                return 2;
            }
            return c.run(rest, out);
        } catch (UsageException | IllegalArgumentException e) {
            err.println("imgindex " + command + ": " + e.getMessage());
            return 2;
        } catch (Exception e) {
            LOG.error("imgindex {} failed", command, e);
            err.println("imgindex " + command + ": failed: " + rootMessage(e));
            return 1;
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t == e ? String.valueOf(e.getMessage()) : e.getMessage() + " (cause: " + t + ")";
    }
}
