package io.imgindex.server.router;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.server.OpenApiTest;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The OpenAPI file documents exactly the routes a router answers: all of them but those marked shard-server only. */
class RouterOpenApiTest {

    @Test
    @SuppressWarnings("unchecked")
    void documentsEveryRouteOfARouter() throws IOException {
        List<String> documented = new ArrayList<>();
        List<String> shardOnly = new ArrayList<>();
        ((Map<String, Map<String, Map<String, Object>>>) OpenApiTest.spec().get("paths"))
                .forEach((path, methods) -> methods.forEach((method, op) -> {
                    String route = method.toUpperCase(Locale.ROOT) + " " + path;
                    (Boolean.TRUE.equals(op.get("x-shard-server-only")) ? shardOnly : documented).add(route);
                }));
        Backends calls = new Backends(Duration.ofSeconds(1));
        try (BackendDirectory directory = new BackendDirectory(List.of(), calls)) {
            RouterServer server = new RouterServer(directory, new Router(calls, directory));
            assertThat(server.routes().describe()).containsExactlyInAnyOrderElementsOf(documented);
        }
        assertThat(shardOnly).containsExactlyInAnyOrder("POST /v1/embed", "POST /admin/generation");
    }
}
