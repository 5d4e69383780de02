package io.imgindex.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * JSON encoding of {@link Manifest} and {@link LatestPointer}: snake_case keys, pretty-printed, unknown keys
 * ignored on read (new optional fields do not break old readers; a breaking change bumps the version).
 * Thread-safe.
 */
public final class ManifestCodec {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
            .enable(SerializationFeature.INDENT_OUTPUT);

    private ManifestCodec() {}

    public static byte[] encode(Manifest manifest) {
        return write(manifest);
    }

    public static byte[] encode(LatestPointer pointer) {
        return write(pointer);
    }

    /**
     * Parses and validates a manifest; the version is checked before the rest is bound, so that a future
     * layout fails with a clear message rather than a binding error.
     *
     * @throws IndexFormatException if it does not parse, or is of a version this code does not read
     */
    public static Manifest decodeManifest(byte[] json) {
        JsonNode tree;
        try {
            tree = MAPPER.readTree(json);
        } catch (IOException e) {
            throw new IndexFormatException("manifest is not valid JSON: " + e.getMessage(), e);
        }
        if (tree == null || !tree.isObject()) {
            throw new IndexFormatException("manifest is not a JSON object");
        }
        JsonNode version = tree.get("format_version");
        if (version == null || !version.canConvertToInt()) {
            throw new IndexFormatException("manifest has no format_version");
        }
        if (!FormatVersion.isSupported(version.intValue())) {
            throw new IndexFormatException("unsupported format version "
                    + version.intValue()
                    + " (this reader knows versions "
                    + FormatVersion.supported()
                    + ")");
        }
        try {
            return MAPPER.treeToValue(tree, Manifest.class).validate();
        } catch (JsonProcessingException | IllegalArgumentException | NullPointerException e) {
            throw new IndexFormatException("manifest does not match the format: " + e.getMessage(), e);
        }
    }

    /** Parses a {@code _LATEST} pointer. */
    public static LatestPointer decodeLatest(byte[] json) {
        try {
            return MAPPER.readValue(json, LatestPointer.class);
        } catch (IOException e) {
            throw new IndexFormatException(
                    "_LATEST is not a valid pointer: " + new String(json, StandardCharsets.UTF_8).strip(), e);
        }
    }

    private static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + value.getClass().getSimpleName(), e);
        }
    }
}
