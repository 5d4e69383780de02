package io.imgindex.server;

import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.flags.UsageException;
import io.imgindex.server.router.RouterServer;
import java.io.PrintStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code imgindex serve}: a shard server, or with {@code --router} a router over shard servers. Runs until
 * stopped (SIGTERM or Ctrl-C close it gracefully). Exit code 2 with a one-line reason for a bad command line.
 */
public final class ServeCli {

    private static final Logger LOG = LoggerFactory.getLogger(ServeCli.class);

    static final String USAGE = "imgindex serve --index DIR_OR_URI --name NAME [--port N] [--shards LIST] [options]\n"
            + "       imgindex serve --router --backends HOST:PORT,... [--port N]";

    static final String SUMMARY = "Serves k-nearest-neighbour queries over the latest complete generation of an"
            + " index (loaded from a local folder or S3, checked against its manifest), switching to new generations"
            + " as they are committed. With --router, fans queries out to shard servers and merges their results."
            + " The admin endpoint (rollback) is on when IMGINDEX_ADMIN_TOKEN is set. S3 credentials come from the"
            + " environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY); other S3A settings via --conf.";

    private ServeCli() {}

    public static void main(String[] args) throws Exception {
        System.exit(run(args, System.out, System.err));
    }

    /** {@code imgindex serve}: its flags and help, and a server that runs until the JVM is stopped. */
    public static final Command COMMAND =
            new Command("serve", USAGE, SUMMARY, ServeOptions.ALL, Flags.Conf.S3, false, ServeCli::serve);

    static int run(String[] args, PrintStream out, PrintStream err) throws Exception {
        try {
            return COMMAND.run(args, out);
        } catch (UsageException | IllegalArgumentException e) {
            err.println("imgindex serve: " + e.getMessage());
            return 2;
        }
    }

    /** Starts the server a command line asks for, then waits: SIGTERM or Ctrl-C close it gracefully. */
    private static int serve(Flags.Parsed parsed, PrintStream out) throws Exception {
        ServerConfig config = ServerConfig.from(parsed, System.getenv(ServerConfig.ADMIN_TOKEN_ENV));
        AutoCloseable server =
                config.role() == ServerConfig.Role.ROUTER ? RouterServer.start(config) : ShardServer.start(config);
        Thread shutdown = new Thread(
                () -> {
                    LOG.info("Stopping");
                    try {
                        server.close();
                    } catch (Exception e) {
                        LOG.warn("Error while stopping: {}", e.toString());
                    }
                },
                "imgindex-shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        Thread.currentThread().join();
        return 0;
    }
}
