package io.imgindex.server.http;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.util.JsonParserDelegate;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;

/** JSON in and out of the API: strict on input (a malformed body is a 400 naming what is wrong). Thread-safe. */
public final class Json {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);

    static {
        // Bodies are capped by the pipeline; these caps keep a hostile body from being expensive to parse.
        MAPPER.getFactory()
                .setStreamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(32)
                        .maxNumberLength(64)
                        .maxStringLength(1 << 20)
                        .build());
    }

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /**
     * The most values an array of a request body may have unless a handler sets its own bound: more than any
     * model's dimension and any filter's {@code in} list.
     */
    public static final int MAX_ARRAY = 16_384;

    /** Parses a request body, or answers 400. Arrays of more than {@link #MAX_ARRAY} values are refused. */
    public static JsonNode parse(byte[] body) {
        return parse(body, MAX_ARRAY);
    }

    /**
     * Parses a request body, or answers 400. An array of more than {@code maxArray} values is refused while it is
     * read, before the rest of it is turned into nodes (a tree node costs tens of bytes per number).
     */
    public static JsonNode parse(byte[] body, int maxArray) {
        if (body.length == 0) {
            throw ApiException.badRequest("the body is empty: send a JSON object");
        }
        try (JsonParser parser = new BoundedArrays(MAPPER.getFactory().createParser(body), maxArray)) {
            JsonNode node = MAPPER.readTree(parser);
            if (node == null || !node.isObject()) {
                throw ApiException.badRequest("the body must be a JSON object");
            }
            return node;
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("malformed JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest("unreadable body: " + e.getMessage());
        }
    }

    /** Refuses an array as soon as it has one value more than allowed. */
    private static final class BoundedArrays extends JsonParserDelegate {
        private final int maxArray;

        BoundedArrays(JsonParser parser, int maxArray) {
            super(parser);
            this.maxArray = maxArray;
        }

        @Override
        public JsonToken nextToken() throws IOException {
            JsonToken token = super.nextToken();
            JsonStreamContext at = getParsingContext();
            // An array's context counts its values from 0; a value that starts an array or object counts in its
            // parent once it ends.
            if (at != null && at.inArray() && at.getCurrentIndex() >= maxArray) {
                throw new JsonParseException(this, "an array has more than " + maxArray + " values");
            }
            return token;
        }
    }

    static byte[] write(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }
}
