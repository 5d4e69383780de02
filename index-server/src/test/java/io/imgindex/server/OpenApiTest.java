package io.imgindex.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.server.http.ApiContext;
import io.imgindex.server.http.Metrics;
import io.imgindex.server.http.QueryParser;
import io.imgindex.server.search.Searcher;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/** The OpenAPI file documents exactly the routes the server answers. */
public class OpenApiTest {

    public static Map<String, Object> spec() throws IOException {
        try (InputStream in = Files.newInputStream(Paths.get("openapi.yaml"))) {
            return new Yaml().load(in);
        }
    }

    @Test
    @SuppressWarnings("unchecked")
    void documentsEveryRoute() throws IOException {
        Map<String, Object> doc = spec();
        List<String> documented = new ArrayList<>();
        ((Map<String, Map<String, Object>>) doc.get("paths")).forEach((path, methods) -> methods.keySet()
                .forEach(m -> documented.add(m.toUpperCase(Locale.ROOT) + " " + path)));
        ApiContext ctx = new ApiContext(
                null, null, null, new Metrics(), new QueryParser(10, Searcher.Mode.EXACT, 10), null, null);
        assertThat(documented)
                .containsExactlyInAnyOrderElementsOf(
                        ShardServer.routes(ctx, true).describe());
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyOperationHasAnIdAndATag() throws IOException {
        Map<String, Object> doc = spec();
        List<String> ids = new ArrayList<>();
        ((Map<String, Map<String, Map<String, Object>>>) doc.get("paths"))
                .forEach((path, methods) -> methods.forEach((method, op) -> {
                    assertThat(op).as(method + " " + path).containsKeys("operationId", "tags");
                    ids.add((String) op.get("operationId"));
                }));
        assertThat(ids).doesNotHaveDuplicates();
    }
}
