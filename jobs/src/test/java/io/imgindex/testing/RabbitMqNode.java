package io.imgindex.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private RabbitMQ node for the tests of this JVM: Debian's {@code rabbitmq-server} started on loopback ports
 * chosen by the system (AMQP, Erlang distribution and its own epmd), its data under {@code target/}, no plugins,
 * and stopped when the JVM exits. It never touches a broker already running on the machine (5672), and two
 * builds on one machine do not share queues.
 *
 * <p>{@code IMGINDEX_TEST_RABBITMQ_URI} (for example {@code amqp://127.0.0.1:5672/%2f}, guest credentials) points
 * the tests at a broker you run yourself instead. Without either, the first test that needs the broker fails with
 * a message saying what to install: these tests never skip.
 */
public final class RabbitMqNode {

    /** Where Debian (and the generic Unix tarball, through {@code PATH}) put the real server script. */
    private static final List<String> SERVER_SCRIPTS =
            List.of("/usr/lib/rabbitmq/bin/rabbitmq-server", "/usr/local/sbin/rabbitmq-server");

    public static final String MISSING =
            "the streaming tests need RabbitMQ: install Debian's rabbitmq-server (apt-get install rabbitmq-server;"
                    + " bin/test does it when run as root), or set IMGINDEX_TEST_RABBITMQ_URI to a running broker";

    private static RabbitMqNode shared;

    private final String uri;
    private final Process process;
    private final Path home;
    private final Map<String, String> env;

    private RabbitMqNode(String uri, Process process, Path home, Map<String, String> env) {
        this.uri = uri;
        this.process = process;
        this.home = home;
        this.env = env;
    }

    /** The broker of this JVM, started on first use (about 5 s); throws with {@link #MISSING} when there is none. */
    public static synchronized RabbitMqNode shared() {
        if (shared == null) {
            String external = System.getenv("IMGINDEX_TEST_RABBITMQ_URI");
            shared = external != null && !external.isBlank()
                    ? new RabbitMqNode(external.strip(), null, null, Map.of())
                    : start();
        }
        return shared;
    }

    /** {@code amqp://127.0.0.1:PORT/%2f}; the user is guest, which RabbitMQ allows on loopback only. */
    public String uri() {
        return uri;
    }

    public String host() {
        return java.net.URI.create(uri).getHost();
    }

    public int port() {
        int p = java.net.URI.create(uri).getPort();
        return p < 0 ? 5672 : p;
    }

    private static RabbitMqNode start() {
        Path script = findServer();
        int[] ports = freePorts(3);
        int amqp = ports[0];
        int dist = ports[1];
        int epmd = ports[2];
        Path home = Paths.get("target", "rabbitmq-" + amqp).toAbsolutePath();
        try {
            Files.createDirectories(home.resolve("log"));
            Files.writeString(home.resolve("enabled_plugins"), "[].\n");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String node = "imgindex-test-" + amqp + "@localhost";
        Map<String, String> env = Map.ofEntries(
                // Its Erlang cookie goes to this HOME, so the node and its rabbitmqctl agree without the user's.
                Map.entry("HOME", home.toString()),
                Map.entry("RABBITMQ_NODENAME", node),
                Map.entry("RABBITMQ_NODE_IP_ADDRESS", "127.0.0.1"),
                Map.entry("RABBITMQ_NODE_PORT", Integer.toString(amqp)),
                Map.entry("RABBITMQ_DIST_PORT", Integer.toString(dist)),
                Map.entry("ERL_EPMD_PORT", Integer.toString(epmd)),
                Map.entry("ERL_EPMD_ADDRESS", "127.0.0.1"),
                Map.entry("RABBITMQ_MNESIA_BASE", home.resolve("mnesia").toString()),
                Map.entry("RABBITMQ_LOG_BASE", home.resolve("log").toString()),
                Map.entry("RABBITMQ_PID_FILE", home.resolve("pid").toString()),
                Map.entry(
                        "RABBITMQ_ENABLED_PLUGINS_FILE",
                        home.resolve("enabled_plugins").toString()),
                // None of the machine's configuration: these files do not exist.
                Map.entry("RABBITMQ_CONFIG_FILE", home.resolve("rabbitmq").toString()),
                Map.entry(
                        "RABBITMQ_ADVANCED_CONFIG_FILE",
                        home.resolve("advanced.config").toString()),
                Map.entry(
                        "RABBITMQ_CONF_ENV_FILE",
                        home.resolve("rabbitmq-env.conf").toString()));
        ProcessBuilder pb = new ProcessBuilder(script.toString())
                .redirectErrorStream(true)
                .redirectOutput(home.resolve("server.out").toFile());
        pb.environment().putAll(env);
        Process process;
        try {
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("could not start " + script + ": " + e.getMessage(), e);
        }
        RabbitMqNode started = new RabbitMqNode("amqp://127.0.0.1:" + amqp + "/%2f", process, home, env);
        Runtime.getRuntime().addShutdownHook(new Thread(started::stop, "rabbitmq-node-stop"));
        started.awaitListening(Duration.ofSeconds(60));
        return started;
    }

    private void awaitListening(Duration limit) {
        long deadline = System.nanoTime() + limit.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("RabbitMQ exited with " + process.exitValue() + " while starting; see "
                        + home.resolve("server.out") + " and " + home.resolve("log"));
            }
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 200);
                return;
            } catch (IOException notYet) {
                // Still booting: poll again.
            }
            try {
                process.waitFor(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while RabbitMQ starts", e);
            }
        }
        stop();
        throw new IllegalStateException(
                "RabbitMQ did not listen on " + uri + " within " + limit + "; see " + home.resolve("server.out"));
    }

    private void stop() {
        if (process == null) {
            return;
        }
        Path ctl = Paths.get(findServer().getParent().toString(), "rabbitmqctl");
        run(List.of(ctl.toString(), "-n", env.get("RABBITMQ_NODENAME"), "stop"), Duration.ofSeconds(20));
        if (process.isAlive()) {
            process.descendants().forEach(ProcessHandle::destroyForcibly);
            process.destroyForcibly();
        }
        // The node started an epmd daemon on its own port; it outlives the node unless told to stop.
        run(List.of("epmd", "-port", env.get("ERL_EPMD_PORT"), "-kill"), Duration.ofSeconds(5));
    }

    private void run(List<String> command, Duration limit) {
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(
                        home.resolve("stop.out").toFile()));
        pb.environment().putAll(env);
        try {
            Process p = pb.start();
            if (!p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
            }
        } catch (IOException | InterruptedException e) {
            // Stopping at JVM exit is best effort: the node's files live under target/ and are cleaned with it.
        }
    }

    private static Path findServer() {
        List<Path> candidates = new ArrayList<>();
        for (String s : SERVER_SCRIPTS) {
            candidates.add(Paths.get(s));
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(":")) {
                if (!dir.isEmpty()) {
                    candidates.add(Paths.get(dir, "rabbitmq-server"));
                }
            }
        }
        for (Path c : candidates) {
            // Debian's /usr/sbin/rabbitmq-server is a wrapper that switches to the rabbitmq user, dropping the
            // environment: it is only a fallback after the real script in /usr/lib/rabbitmq/bin.
            if (Files.isExecutable(c) && !c.toString().equals("/usr/sbin/rabbitmq-server")) {
                return c;
            }
        }
        throw new IllegalStateException(MISSING);
    }

    /** Distinct free loopback ports: all sockets are held open until every port is chosen. */
    private static int[] freePorts(int n) {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            int[] ports = new int[n];
            for (int i = 0; i < n; i++) {
                ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                sockets.add(s);
                ports[i] = s.getLocalPort();
            }
            return ports;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket s : sockets) {
                try {
                    s.close();
                } catch (IOException e) {
                    // Closing a listening socket that never accepted cannot lose anything.
                }
            }
        }
    }
}
