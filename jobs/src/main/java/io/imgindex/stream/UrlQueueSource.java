package io.imgindex.stream;

import com.rabbitmq.client.ConnectionFactory;
import io.imgindex.item.Item;
import java.io.IOException;
import org.apache.flink.streaming.connectors.rabbitmq.RMQSource;
import org.apache.flink.streaming.connectors.rabbitmq.common.RMQConnectionConfig;

/**
 * The stream job's source: Flink's RabbitMQ source over a durable queue, with correlation ids on, so that with
 * checkpointing a message is acknowledged only once the checkpoint that covers its processing has completed, and
 * a redelivered message already processed is dropped (exactly-once); copies of a message without a correlation id are
 * each processed ({@link UncorrelatedCopies}). Runs with parallelism 1 (RabbitMQ gives no
 * partitioned replay; the source's dedup needs one consumer).
 *
 * <p>The connection is made on the task manager from {@link RabbitMq#connectionFactory}: credentials come from
 * that process's environment and are never serialised with the job.
 */
public final class UrlQueueSource extends RMQSource<Item> {

    private static final long serialVersionUID = 1L;

    private final String uri;
    private final String queueType;
    private transient UncorrelatedCopies copies;

    public UrlQueueSource(QueueSettings settings) {
        super(
                new RMQConnectionConfig.Builder()
                        .setUri(settings.uri())
                        .setPrefetchCount(settings.prefetch())
                        .setDeliveryTimeout(settings.deliveryTimeout().toMillis())
                        .build(),
                settings.queue(),
                true,
                new UrlMessageSchema(settings.queue()));
        this.uri = settings.uri();
        this.queueType = settings.queueType();
    }

    @Override
    protected boolean addId(String identifier) {
        if (!UncorrelatedCopies.isUncorrelated(identifier)) {
            return super.addId(identifier);
        }
        if (copies == null) {
            copies = new UncorrelatedCopies();
        }
        return copies.admit(identifier, super::addId);
    }

    @Override
    public void notifyCheckpointComplete(long checkpointId) throws Exception {
        super.notifyCheckpointComplete(checkpointId);
        if (copies != null) {
            copies.acknowledged();
        }
    }

    @Override
    protected void setupQueue() throws IOException {
        QueueSettings.declare(channel, queueName, queueType);
    }

    @Override
    protected ConnectionFactory setupConnectionFactory() {
        return RabbitMq.connectionFactory(uri);
    }
}
