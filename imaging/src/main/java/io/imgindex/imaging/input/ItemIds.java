package io.imgindex.imaging.input;

import io.imgindex.format.Sha256;
import java.nio.charset.StandardCharsets;

/**
 * Item ids: given by the input, or derived from the URL.
 *
 * <p>A derived id is the first 16 bytes of the SHA-256 of the URL (after resolving relative references,
 * UTF-8), in lowercase hex: 32 characters, stable across runs, and collision-free in practice (a collision
 * among a billion URLs has a probability below 10<sup>-20</sup>).
 */
public final class ItemIds {

    /** The longest id accepted from an input. */
    public static final int MAX_LENGTH = 256;

    private ItemIds() {}

    /** The id derived from a URL. */
    public static String fromUrl(String url) {
        return Sha256.hex(url.getBytes(StandardCharsets.UTF_8)).substring(0, 32);
    }

    /**
     * Why a given id is not acceptable, or null if it is: ids are 1 to {@value #MAX_LENGTH} characters with no
     * control characters (they appear in paths such as {@code /v1/items/{id}} and in logs).
     */
    public static String problemWith(String id) {
        if (id.isEmpty()) {
            return "id is empty";
        }
        if (id.length() > MAX_LENGTH) {
            return "id is longer than " + MAX_LENGTH + " characters";
        }
        for (int i = 0; i < id.length(); i++) {
            if (Character.isISOControl(id.charAt(i))) {
                return "id contains a control character at position " + i;
            }
        }
        return null;
    }
}
