package io.imgindex.stream;

import com.rabbitmq.client.Channel;
import java.io.IOException;
import java.io.Serializable;
import java.time.Duration;
import java.util.Map;

/**
 * Where the stream job reads image URLs from: a durable RabbitMQ queue. Holds no credentials (see {@link
 * RabbitMq}). Immutable.
 *
 * @param uri the broker, {@code amqp://host:port/vhost}, without user-info
 * @param queue the queue, declared durable if it does not exist
 * @param prefetch unacknowledged messages the broker sends ahead; they are acknowledged at each checkpoint, so
 *     this bounds the messages taken per checkpoint interval
 * @param deliveryTimeout how long the source waits for a message before it checks whether to stop; short, so a
 *     stop with a savepoint is quick
 * @param queueType {@code classic} or {@code quorum} (replicated): how the queue is declared if it does not exist;
 *     a queue that exists must have been declared the same way
 */
public record QueueSettings(String uri, String queue, int prefetch, Duration deliveryTimeout, String queueType)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Declares the queue as the job and {@code imgindex enroll} both expect it: durable, of the given type. */
    public static void declare(Channel channel, String queue, String queueType) throws IOException {
        channel.queueDeclare(
                queue, true, false, false, "quorum".equals(queueType) ? Map.of("x-queue-type", "quorum") : null);
    }

    public QueueSettings {
        uri = RabbitMq.check(uri);
        if (queue == null || queue.isBlank() || queue.length() > 255) {
            throw new IllegalArgumentException("--queue must be 1 to 255 characters, was '" + queue + "'");
        }
        if (prefetch < 1 || prefetch > 65_535) {
            throw new IllegalArgumentException("--rabbitmq.prefetch must be within 1..65535, was " + prefetch);
        }
        if (!"classic".equals(queueType) && !"quorum".equals(queueType)) {
            throw new IllegalArgumentException(
                    "--rabbitmq.queue-type must be classic or quorum, was '" + queueType + "'");
        }
        if (deliveryTimeout.isNegative() || deliveryTimeout.isZero()) {
            throw new IllegalArgumentException("--rabbitmq.delivery-timeout must be positive, was " + deliveryTimeout);
        }
    }
}
