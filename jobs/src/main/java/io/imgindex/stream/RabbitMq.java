package io.imgindex.stream;

import com.rabbitmq.client.ConnectionFactory;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.NoSuchAlgorithmException;
import javax.net.ssl.SSLContext;

/**
 * How imgindex connects to RabbitMQ: an {@code amqp://host[:port][/vhost]} or {@code amqps://…} URI, with the
 * credentials taken from the environment ({@value #USERNAME_ENV}, {@value #PASSWORD_ENV}: on Kubernetes, from a
 * Secret) so they never enter a job graph, a manifest or a log line; a URI with user-info is refused. Without
 * them, RabbitMQ's default {@code guest} account is used, which the broker accepts on loopback only. TLS
 * ({@code amqps}) verifies the broker's certificate and host name against the JVM's trust store.
 */
public final class RabbitMq {

    /** The user name, read from the environment of the process that connects. */
    public static final String USERNAME_ENV = "IMGINDEX_RABBITMQ_USERNAME";

    /** The password, read from the environment of the process that connects. */
    public static final String PASSWORD_ENV = "IMGINDEX_RABBITMQ_PASSWORD";

    private RabbitMq() {}

    /**
     * Checks a URI.
     *
     * @return the URI, stripped
     * @throws IllegalArgumentException naming what is wrong (credentials are never repeated in the message)
     */
    public static String check(String uri) {
        return parse(uri).toString();
    }

    /** The URI with any user-info replaced by {@code ***}, for logs and manifests. */
    public static String redact(String uri) {
        try {
            return redact(new URI(uri));
        } catch (URISyntaxException e) {
            return "(an unparsable URI)";
        }
    }

    /** A connection factory for the URI, with credentials from the environment. */
    public static ConnectionFactory connectionFactory(String uri) {
        URI u = parse(uri);
        ConnectionFactory f = new ConnectionFactory();
        boolean tls = u.getScheme().equals("amqps");
        f.setHost(u.getHost());
        f.setPort(u.getPort() > 0 ? u.getPort() : tls ? 5671 : 5672);
        String path = u.getRawPath();
        f.setVirtualHost(
                path == null || path.isEmpty() || path.equals("/")
                        ? "/"
                        : URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8));
        if (tls) {
            try {
                f.useSslProtocol(SSLContext.getDefault());
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context in this JVM", e);
            }
            f.enableHostnameVerification();
        }
        String user = System.getenv(USERNAME_ENV);
        String password = System.getenv(PASSWORD_ENV);
        if (user != null && !user.isEmpty()) {
            f.setUsername(user);
            f.setPassword(password == null ? "" : password);
        }
        f.setAutomaticRecoveryEnabled(false); // a lost connection fails the task; Flink restores from a checkpoint
        f.setConnectionTimeout(10_000);
        f.setRequestedHeartbeat(30);
        return f;
    }

    private static URI parse(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("the RabbitMQ URI is empty");
        }
        URI u;
        try {
            u = new URI(uri.strip());
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("the RabbitMQ URI does not parse: " + e.getMessage());
        }
        if (u.getScheme() == null
                || !(u.getScheme().equals("amqp") || u.getScheme().equals("amqps"))) {
            throw new IllegalArgumentException(
                    "the RabbitMQ URI must start with amqp:// or amqps://, was " + redact(u));
        }
        if (u.getHost() == null || u.getHost().isEmpty()) {
            throw new IllegalArgumentException("the RabbitMQ URI has no host: " + redact(u));
        }
        if (u.getRawUserInfo() != null) {
            throw new IllegalArgumentException("the RabbitMQ URI " + redact(u) + " carries credentials: give them in "
                    + USERNAME_ENV + " and " + PASSWORD_ENV + " instead, so they stay out of job graphs and logs");
        }
        if (u.getQuery() != null || u.getFragment() != null) {
            throw new IllegalArgumentException("the RabbitMQ URI takes no query or fragment: " + redact(u));
        }
        return u;
    }

    private static String redact(URI u) {
        if (u.getRawUserInfo() == null) {
            return u.toString();
        }
        try {
            return new URI(u.getScheme(), "***", u.getHost(), u.getPort(), u.getPath(), u.getQuery(), u.getFragment())
                    .toString();
        } catch (URISyntaxException e) {
            return u.getScheme() + "://***@" + u.getHost();
        }
    }
}
