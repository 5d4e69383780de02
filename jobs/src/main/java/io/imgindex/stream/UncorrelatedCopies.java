package io.imgindex.stream;

import java.util.HashSet;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Tells copies of a message without a correlation id apart from redeliveries of one message. Such a message is known
 * only by its body (and its message id and timestamp properties, when it has them), so two messages with the same
 * body share one identifier; the source would take the second for a redelivery of the first and drop it.
 *
 * <p>RabbitMQ marks each delivery: a first delivery is a message this consumer has never seen, a redelivery one it
 * was given before (the previous run's unacknowledged messages, after a failure). So a first delivery whose
 * identifier is taken is a further copy: it is processed under the next free {@code "<identifier> #<copy>"}. A
 * redelivery is dropped only if an identifier of its body that the source holds from before is not yet matched by
 * another redelivery: each copy the previous run processed cancels one redelivery, and the rest are processed like
 * first deliveries. Either way every message is recorded once.
 */
final class UncorrelatedCopies {

    /** Starts the identifier of a message without a correlation id; the next character says how it was delivered. */
    private static final char MARK = '\u0000';

    private static final char FIRST = 'n';
    private static final char REDELIVERED = 'r';

    /** Identifiers that a redelivery has matched since the source's held identifiers were last acknowledged. */
    private final Set<String> matched = new HashSet<>();

    /** The identifier the schema gives a message without a correlation id. */
    static String identifier(String body, boolean redelivered) {
        return MARK + String.valueOf(redelivered ? REDELIVERED : FIRST) + body;
    }

    /** Whether an identifier is one of {@link #identifier}'s (a correlated message's never starts with the mark). */
    static boolean isUncorrelated(String identifier) {
        return identifier.length() >= 2 && identifier.charAt(0) == MARK;
    }

    /**
     * Decides a delivery of a message without a correlation id.
     *
     * @param identifier what {@link #identifier} made of it
     * @param hold adds an identifier to those the source holds (processed, not yet acknowledged), saying whether it
     *     was new
     * @return whether to process the delivery (it is then held under the identifier of its copy)
     */
    boolean admit(String identifier, Predicate<String> hold) {
        boolean redelivered = identifier.charAt(1) == REDELIVERED;
        String body = identifier.substring(2);
        for (int copy = 1; ; copy++) {
            String id = copy == 1 ? body : body + " #" + copy;
            if (hold.test(id)) {
                return true;
            }
            if (redelivered && matched.add(id)) {
                return false;
            }
        }
    }

    /** Called when the held identifiers are acknowledged: what was matched against them no longer counts. */
    void acknowledged() {
        matched.clear();
    }
}
