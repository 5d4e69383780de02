package io.imgindex.stream;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Envelope;
import io.imgindex.format.Sha256;
import io.imgindex.imaging.Reason;
import io.imgindex.imaging.input.UrlListParser;
import io.imgindex.item.Item;
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
 * <p>The source drops a delivery whose identifier it has seen (exactly-once with checkpoints: a redelivery after a
 * failure). The identifier is the correlation id and the SHA-256 of the body, so a publisher's retry of a message
 * is dropped, but another message that reuses a correlation id is not: it is processed and recorded like any
 * other (its id, if it repeats one, fails as a repeated id). A message without a correlation id would make
 * Flink's source throw on every delivery and never acknowledge it, a poison pill; here its identifier is its
 * body's SHA-256 with the message id and timestamp properties when it has them (so its own redelivery is still
 * recognised), and it is recorded as a {@code NO_CORRELATION_ID} failure, acknowledged with the next checkpoint.
 * Two such messages with the same body and neither property are told from a redelivery by the broker's redelivery
 * mark ({@link UncorrelatedCopies}): each is recorded.
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
        String bodyHash = Sha256.hex(body);
        String messageId = identified ? correlationId : "sha256:" + bodyHash;
        String identifier = identified
                ? correlationId + " " + bodyHash
                : UncorrelatedCopies.identifier(messageId + otherIdentity(properties), envelope.isRedeliver());
        String source = "amqp:" + queue + "#" + messageId;
        Item item = parse(body, source);
        if (!identified && item.status != Status.FAILED) {
            item.fail(
                    Reason.NO_CORRELATION_ID,
                    "message has no correlation id, so a redelivery cannot be told from a"
                            + " new message; publish with one (bin/imgindex enroll does)");
        }
        if (out.setMessageIdentifiers(identifier, envelope.getDeliveryTag())) {
            out.collect(item);
        }
    }

    /** What else tells a message without a correlation id from another with the same body. */
    private static String otherIdentity(AMQP.BasicProperties p) {
        StringBuilder s = new StringBuilder();
        if (p.getMessageId() != null && !p.getMessageId().isEmpty()) {
            s.append(" id=").append(p.getMessageId());
        }
        if (p.getTimestamp() != null) {
            s.append(" at=").append(p.getTimestamp().getTime());
        }
        return s.toString();
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
        return Item.of(UrlListParser.parseMessage(text, source));
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
