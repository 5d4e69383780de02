package io.imgindex.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.ConfirmListener;
import com.rabbitmq.client.Connection;
import io.imgindex.flags.Command;
import io.imgindex.flags.Flags;
import io.imgindex.flags.Option;
import io.imgindex.flags.Options;
import io.imgindex.flags.UsageException;
import io.imgindex.imaging.input.InputRecord;
import io.imgindex.imaging.input.UrlListParser;
import io.imgindex.job.IndexOptions;
import io.imgindex.stream.QueueSettings;
import io.imgindex.stream.RabbitMq;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * {@code imgindex enroll}: publishes the records of URL lists to the stream job's queue, one message per record,
 * as the job expects them: a JSON object {@code {"id", "url", metadata…}}, a unique correlation id, persistent
 * delivery, the queue declared durable. Publisher confirms: the command ends when the broker has confirmed every
 * message (a message the broker refuses is sent again, with the same correlation id), and says how many were
 * confirmed. Lines that do not parse are not sent; they are listed with their reason.
 */
public final class EnrollCommand {

    public static final String USAGE = "imgindex enroll --queue NAME [--rabbitmq-uri amqp://…] FILE [FILE ...]";

    public static final String SUMMARY = "Publishes the URL lists (text, CSV or JSON lines, as for 'imgindex index',"
            + " local files or folders) to a RabbitMQ queue for the stream job, one persistent message per"
            + " record with a correlation id, and waits for the broker to confirm each one. Credentials come from"
            + " IMGINDEX_RABBITMQ_USERNAME and IMGINDEX_RABBITMQ_PASSWORD.";

    public static final Option<Duration> CONFIRM_TIMEOUT = Options.key("confirm-timeout")
            .durationType()
            .defaultValue(Duration.ofSeconds(30))
            .withDescription("How long to wait for the broker's confirms after the last message.");

    public static final Option<Integer> MAX_IN_FLIGHT = Options.key("max-in-flight")
            .intType()
            .defaultValue(1000)
            .withDescription("Messages sent ahead of the broker's confirms.");

    public static final List<Option<?>> OPTIONS = List.of(
            IndexOptions.RABBITMQ_URI,
            IndexOptions.QUEUE,
            IndexOptions.RABBITMQ_QUEUE_TYPE,
            CONFIRM_TIMEOUT,
            MAX_IN_FLIGHT);

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LISTED = 20;
    private static final int MAX_ATTEMPTS = 3;

    /** What an enrolment did. */
    public record Outcome(long published, long confirmed, long skippedLines, List<String> notPublished) {

        /** Whether every record was confirmed by the broker. */
        public boolean complete() {
            return confirmed == published && notPublished.isEmpty();
        }
    }

    private EnrollCommand() {}

    /** {@code imgindex enroll}. */
    public static final Command COMMAND =
            new Command("enroll", USAGE, SUMMARY, OPTIONS, Flags.Conf.NONE, true, EnrollCommand::run);

    static int run(Flags.Parsed parsed, PrintStream out) throws Exception {
        if (parsed.arguments().isEmpty()) {
            throw new UsageException("give one or more URL list files or folders to enroll");
        }
        String uri = RabbitMq.check(parsed.options().get(IndexOptions.RABBITMQ_URI));
        String queue = parsed.options()
                .getOptional(IndexOptions.QUEUE)
                .orElseThrow(() -> new UsageException("--queue is required"));
        int inFlight = parsed.options().get(MAX_IN_FLIGHT);
        if (inFlight < 1) {
            throw new UsageException("--max-in-flight must be positive, was " + inFlight);
        }
        List<Path> files = files(parsed.arguments());
        String queueType = parsed.options().get(IndexOptions.RABBITMQ_QUEUE_TYPE);
        if (!queueType.equals("classic") && !queueType.equals("quorum")) {
            throw new UsageException("--rabbitmq.queue-type must be classic or quorum, was '" + queueType + "'");
        }
        Outcome o =
                enroll(uri, queue, queueType, files, inFlight, parsed.options().get(CONFIRM_TIMEOUT));
        out.printf(
                "imgindex: enrolled %d records into queue '%s' at %s: %d confirmed by the broker%s (skipped lines"
                        + " %d)%n",
                o.published(),
                queue,
                uri,
                o.confirmed(),
                o.published() == o.confirmed() ? "" : ", " + (o.published() - o.confirmed()) + " NOT confirmed",
                o.skippedLines());
        if (!o.notPublished().isEmpty()) {
            out.printf(
                    "  not published, %d records that do not parse:%n",
                    o.notPublished().size());
            o.notPublished().stream().limit(MAX_LISTED).forEach(line -> out.println("    " + line));
            if (o.notPublished().size() > MAX_LISTED) {
                out.printf("    … and %d more%n", o.notPublished().size() - MAX_LISTED);
            }
        }
        return o.published() == o.confirmed() ? 0 : 1;
    }

    /** Publishes every record of the files and waits for the broker's confirms. */
    public static Outcome enroll(
            String uri, String queue, String queueType, List<Path> files, int maxInFlight, Duration confirmTimeout)
            throws Exception {
        long published = 0;
        long skipped = 0;
        List<String> notPublished = new ArrayList<>();
        try (Connection connection = RabbitMq.connectionFactory(uri).newConnection("imgindex-enroll");
                Channel channel = connection.createChannel()) {
            // The same declaration as the job's source.
            QueueSettings.declare(channel, queue, queueType);
            channel.confirmSelect();
            Confirms confirms = new Confirms();
            channel.addConfirmListener(confirms);
            for (Path file : files) {
                try (BufferedReader reader = reader(file)) {
                    UrlListParser parser = new UrlListParser(
                            reader,
                            file.toUri(),
                            file.toString(),
                            UrlListParser.Format.ofFileName(file.getFileName().toString()));
                    while (parser.hasNext()) {
                        InputRecord item = parser.next();
                        if (item.status() == InputRecord.Status.SKIPPED) {
                            skipped++;
                        } else if (item.status() == InputRecord.Status.FAILED) {
                            notPublished.add(item.source() + ": " + item.reason() + ": " + item.message());
                        } else {
                            confirms.awaitRoom(maxInFlight, confirmTimeout);
                            Message m = new Message(UUID.randomUUID().toString(), body(item));
                            publish(channel, queue, m, confirms);
                            published++;
                        }
                    }
                }
            }
            long deadline = System.nanoTime() + confirmTimeout.toNanos();
            for (int attempt = 1; ; attempt++) {
                confirms.awaitAll(deadline);
                List<Message> refused = confirms.takeRefused();
                if (refused.isEmpty() || attempt >= MAX_ATTEMPTS) {
                    long confirmed = published - confirms.outstanding() - refused.size();
                    return new Outcome(published, confirmed, skipped, List.copyOf(notPublished));
                }
                for (Message m : refused) {
                    publish(channel, queue, m, confirms); // the same correlation id: the job drops a second copy
                }
            }
        }
    }

    private static void publish(Channel channel, String queue, Message m, Confirms confirms) throws IOException {
        AMQP.BasicProperties props = new AMQP.BasicProperties.Builder()
                .correlationId(m.correlationId())
                .messageId(m.correlationId())
                .contentType("application/json")
                .contentEncoding("utf-8")
                .deliveryMode(2) // persistent
                .timestamp(new Date())
                .build();
        confirms.sent(channel.getNextPublishSeqNo(), m);
        channel.basicPublish("", queue, props, m.body());
    }

    static byte[] body(InputRecord item) throws IOException {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", item.id());
        node.put("url", item.url());
        for (Map.Entry<String, String> e : item.metadata().entrySet()) {
            node.put(e.getKey(), e.getValue());
        }
        return JSON.writeValueAsBytes(node);
    }

    private static BufferedReader reader(Path file) throws IOException {
        InputStream in = Files.newInputStream(file);
        if (file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz")) {
            in = new GZIPInputStream(in);
        }
        return new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    }

    private static List<Path> files(List<String> arguments) throws IOException {
        List<Path> files = new ArrayList<>();
        for (String a : arguments) {
            Path p = a.startsWith("file:") ? Paths.get(URI.create(a)) : Paths.get(a);
            if (Files.isDirectory(p)) {
                try (Stream<Path> s = Files.list(p)) {
                    s.filter(Files::isRegularFile)
                            .filter(f -> !f.getFileName().toString().startsWith("."))
                            .sorted()
                            .forEach(files::add);
                }
            } else if (Files.isRegularFile(p)) {
                files.add(p);
            } else {
                throw new UsageException("no such file or folder: " + a);
            }
        }
        return files;
    }

    /** A message as sent, kept until the broker confirms it. */
    private record Message(String correlationId, byte[] body) {}

    /** Tracks publisher confirms by sequence number. */
    private static final class Confirms implements ConfirmListener {
        private final ConcurrentSkipListMap<Long, Message> outstanding = new ConcurrentSkipListMap<>();
        /** Guarded by this object's lock, like the settling of confirms. */
        private final List<Message> refused = new ArrayList<>();

        void sent(long seq, Message m) {
            outstanding.put(seq, m);
        }

        @Override
        public void handleAck(long deliveryTag, boolean multiple) {
            settle(deliveryTag, multiple, false);
        }

        @Override
        public void handleNack(long deliveryTag, boolean multiple) {
            settle(deliveryTag, multiple, true);
        }

        private synchronized void settle(long tag, boolean multiple, boolean nack) {
            var settled = multiple ? outstanding.headMap(tag, true) : outstanding.subMap(tag, true, tag, true);
            if (nack) {
                refused.addAll(settled.values());
            }
            settled.clear();
            notifyAll();
        }

        synchronized void awaitRoom(int max, Duration timeout) throws InterruptedException, IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (outstanding.size() >= max) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("the broker confirmed nothing for " + timeout + " (" + outstanding.size()
                            + " messages waiting)");
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        synchronized void awaitAll(long deadlineNanos) throws InterruptedException {
            while (!outstanding.isEmpty()) {
                long left = deadlineNanos - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                wait(Math.max(1, left / 1_000_000));
            }
        }

        synchronized int outstanding() {
            return outstanding.size();
        }

        synchronized List<Message> takeRefused() {
            List<Message> out = new ArrayList<>(refused);
            refused.clear();
            return out;
        }
    }
}
