package io.imgindex.testing;

import static org.assertj.core.api.Assertions.fail;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.TimeoutException;

/**
 * A connection to the real RabbitMQ broker the streaming tests talk to: the private node of this JVM
 * ({@link RabbitMqNode}), started on first use; tests fail, never skip, when it cannot be started. Messages are
 * published with the plain AMQP client, not with imgindex's own code, so the job is checked against an
 * independent publisher.
 */
public final class RabbitMqBroker implements AutoCloseable {

    private final Connection connection;
    private final Channel channel;

    private RabbitMqBroker(Connection connection) throws IOException {
        this.connection = connection;
        this.channel = connection.createChannel();
        channel.confirmSelect();
    }

    /** The broker's URI, for the job's {@code --rabbitmq-uri}. */
    public static String uri() {
        return node().uri();
    }

    /** Connects, or fails the test saying what to install. */
    public static RabbitMqBroker connect() {
        RabbitMqNode node = node();
        ConnectionFactory f = new ConnectionFactory();
        f.setHost(node.host());
        f.setPort(node.port());
        f.setConnectionTimeout(5_000);
        try {
            return new RabbitMqBroker(f.newConnection("imgindex-test"));
        } catch (IOException | TimeoutException e) {
            return fail("RabbitMQ is not reachable at " + node.uri() + " (" + e + ")");
        }
    }

    private static RabbitMqNode node() {
        try {
            return RabbitMqNode.shared();
        } catch (IllegalStateException e) {
            return fail(e.getMessage());
        }
    }

    /** A fresh durable queue (as the job declares it), empty. */
    public String newQueue(String prefix) throws IOException {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        channel.queueDeclare(name, true, false, false, null);
        return name;
    }

    /** Publishes a persistent message and waits for the broker's confirm; {@code correlationId} may be null. */
    public void publish(String queue, String correlationId, byte[] body) throws Exception {
        AMQP.BasicProperties.Builder props = new AMQP.BasicProperties.Builder().deliveryMode(2);
        if (correlationId != null) {
            props.correlationId(correlationId);
        }
        channel.basicPublish("", queue, props.build(), body);
        channel.waitForConfirmsOrDie(10_000);
    }

    /** Publishes a message without a correlation id but with a message id property. */
    public void publishWithMessageId(String queue, String messageId, String body) throws Exception {
        channel.basicPublish(
                "",
                queue,
                new AMQP.BasicProperties.Builder()
                        .deliveryMode(2)
                        .messageId(messageId)
                        .build(),
                body.getBytes(StandardCharsets.UTF_8));
        channel.waitForConfirmsOrDie(10_000);
    }

    public void publish(String queue, String correlationId, String body) throws Exception {
        publish(queue, correlationId, body.getBytes(StandardCharsets.UTF_8));
    }

    /** Messages ready in the queue (not delivered to a consumer). */
    public long ready(String queue) throws IOException {
        return channel.queueDeclarePassive(queue).getMessageCount();
    }

    public void delete(String queue) {
        try {
            channel.queueDelete(queue);
        } catch (IOException e) {
            // Best effort: a left-over test queue is harmless and has a unique name.
        }
    }

    @Override
    public void close() throws Exception {
        connection.close();
    }
}
