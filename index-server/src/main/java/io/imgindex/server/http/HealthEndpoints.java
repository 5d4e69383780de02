package io.imgindex.server.http;

import java.util.Map;

/** {@code GET /healthz} (the process answers) and {@code GET /readyz} (a generation is loaded). */
public final class HealthEndpoints {

    private final ApiContext ctx;

    public HealthEndpoints(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response alive(Request r) {
        return Response.json(Map.of("status", "alive"));
    }

    public Response ready(Request r) {
        return ctx.served()
                .current()
                .map(i -> Response.json(Map.of("status", "ready", "generation", i.generation())))
                .orElseGet(() -> Response.error(503, ctx.served().notReadyReason()));
    }
}
