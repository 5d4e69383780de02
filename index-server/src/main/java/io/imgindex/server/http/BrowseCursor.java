package io.imgindex.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Where a browse ({@code GET /v1/items}) goes on: a generation, a shard and a row of it, written as an opaque
 * URL-safe token. Shard servers and routers write and read the same tokens, so a router passes a shard server's on
 * unchanged.
 *
 * @param shard the shard to go on in ({@code -1}: from the first)
 */
public record BrowseCursor(long generation, int shard, int ord) {

    public String token() {
        return Base64.getUrlEncoder()
                .withoutPadding()
                .encodeToString(("c1:" + generation + ":" + shard + ":" + ord).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Where a browse of generation {@code served} goes on: from the start ({@code firstShard}, row 0) without a
     * token, else where the token says.
     *
     * @throws ApiException 400 for a token this code did not write, 409 for one of another generation (the rows
     *     of another generation are not the same: browsing starts again)
     */
    public static BrowseCursor of(String token, long served, int firstShard) {
        if (token == null) {
            return new BrowseCursor(served, firstShard, 0);
        }
        BrowseCursor at = parse(token);
        if (at.generation() != served) {
            throw new ApiException(
                    409,
                    "this cursor is of generation " + at.generation() + "; the index now serves" + " generation "
                            + served + ": browse again from the start");
        }
        return at;
    }

    /** @throws ApiException 400 for a token this code did not write */
    public static BrowseCursor parse(String token) {
        try {
            String[] p = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split(":");
            if (p.length == 4 && p[0].equals("c1")) {
                BrowseCursor c = new BrowseCursor(Long.parseLong(p[1]), Integer.parseInt(p[2]), Integer.parseInt(p[3]));
                if (c.shard() >= 0 && c.ord() >= 0) {
                    return c;
                }
            }
        } catch (IllegalArgumentException e) {
            // Not base64, or not numbers: the same answer as any other foreign token.
        }
        throw ApiException.badRequest("cursor is not one this server gave (pass next_cursor as it came)");
    }
}
