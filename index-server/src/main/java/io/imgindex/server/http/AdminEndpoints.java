package io.imgindex.server.http;

import com.fasterxml.jackson.databind.JsonNode;
import io.imgindex.format.IndexFormatException;
import io.imgindex.format.Sha256;
import io.imgindex.server.load.LoadedIndex;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * {@code POST /admin/generation}: switches to a named generation ({@code {"generation": 3}}, a rollback, pinned)
 * or back to the latest ({@code {"generation": "latest"}}). Needs {@code Authorization: Bearer <token>}; the
 * token is compared in constant time (SHA-256 of both sides, {@link MessageDigest#isEqual}). Without a token
 * configured the endpoint does not exist.
 */
public final class AdminEndpoints {

    private final ApiContext ctx;

    public AdminEndpoints(ApiContext ctx) {
        this.ctx = ctx;
    }

    public Response switchGeneration(Request r) throws Exception {
        if (ctx.adminTokenSha256() == null) {
            throw ApiException.notFound("admin endpoints are off: start the server with IMGINDEX_ADMIN_TOKEN set");
        }
        String auth = r.header("authorization");
        String given =
                auth != null && auth.startsWith("Bearer ") ? auth.substring(7).strip() : "";
        byte[] givenSha = Sha256.newDigest().digest(given.getBytes(StandardCharsets.UTF_8));
        if (!MessageDigest.isEqual(givenSha, ctx.adminTokenSha256())) {
            throw new ApiException(401, "a valid admin token is required (Authorization: Bearer <token>)");
        }
        JsonNode body = Json.parse(r.body());
        JsonNode g = body.get("generation");
        OptionalLong target;
        if (g != null && g.isTextual() && g.asText().equals("latest")) {
            target = OptionalLong.empty();
        } else if (g != null && g.isIntegralNumber() && g.asLong() >= 0) {
            target = OptionalLong.of(g.asLong());
        } else {
            throw ApiException.badRequest("'generation' must be a generation number or \"latest\"");
        }
        LoadedIndex now;
        try {
            now = ctx.served().switchTo(target);
        } catch (IndexFormatException e) {
            throw new ApiException(409, "cannot switch: " + e.getMessage());
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("generation", now.generation());
        out.put("pinned", ctx.served().pinned());
        return Response.json(out);
    }
}
