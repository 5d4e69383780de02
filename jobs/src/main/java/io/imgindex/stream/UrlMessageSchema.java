package io.imgindex.stream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import io.imgindex.format.Sha256;
import io.imgindex.input.UrlListParser;
import io.imgindex.item.Item;
import io.imgindex.item.Reason;
import io.imgindex.item.Status;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.streaming.connectors.rabbitmq.RMQDeserializationSchema;

/**
 * Turns each RabbitMQ delivery into exactly one {@link Item}, never throwing on content: a JSON object
 * {@code {"id", "url", metadata…}}, a JSON string or a bare URL becomes a pending item; a body that is not UTF-8
 * or does not parse becomes a {@code BAD_RECORD} failure, a bad URL a {@code BAD_URL} one (decided downstream).
 *
 * <p>The source deduplicates redeliveries by correlation id (exactly-once with checkpoints). A message without
 * one would make Flink's source throw on every delivery and never acknowledge it, a poison pill; here it is
 * given the SHA-256 of its body as its identifier instead (so its own redelivery is still recognised) and
 * recorded as a {@code NO_CORRELATION_ID} failure, acknowledged with the next checkpoint.
 */
public final class UrlMessageSchema implements RMQDeserializationSchema<Item> {

    private static final long serialVersionUID = 1L;

    private static final int MAX_SHOWN = 2048;

    private final String queue;

    public UrlMessageSchema(String queue) {
        this.queue = queue;
    }

    @Override
    public void deserialize(Envelope envelope, AMQP.BasicProperties properties, byte[] body, RMQCollector<Item> out) {
        String correlationId = properties.getCorrelationId();
        boolean identified = correlationId != null && !correlationId.isEmpty();
        String messageId = identified ? correlationId : "sha256:" + Sha256.hex(body);
        String source = "amqp:" + queue + "#" + messageId;
        Item item = parse(body, source);
        if (!identified && item.status != Status.FAILED) {
            item.fail(
                    Reason.NO_CORRELATION_ID,
                    "message has no correlation id, so a redelivery cannot be told from a"
                            + " new message; publish with one (bin/imgindex enroll does)");
        }
        if (out.setMessageIdentifiers(messageId, envelope.getDeliveryTag())) {
            out.collect(item);
        }
    }

    static Item parse(byte[] body, String source) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body))
                    .toString();
        } catch (CharacterCodingException e) {
            String shown = new String(body, 0, Math.min(body.length, MAX_SHOWN), StandardCharsets.ISO_8859_1);
            return Item.pending(null, shown, Map.of(), source)
                    .fail(Reason.BAD_RECORD, "message body is not UTF-8 text (" + body.length + " bytes)");
        }
        return UrlListParser.parseMessage(text, source);
    }

    @Override
    public boolean isEndOfStream(Item next) {
        return false;
    }

    @Override
    public TypeInformation<Item> getProducedType() {
        return TypeInformation.of(Item.class);
    }
}
