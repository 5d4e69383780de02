package io.imgindex.server.http;

/** Answers one route. Runs on a worker thread, never on the event loop; may throw {@link ApiException}. */
@FunctionalInterface
public interface Endpoint {
    Response handle(Request request) throws Exception;
}
