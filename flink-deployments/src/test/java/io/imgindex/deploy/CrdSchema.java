package io.imgindex.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * A custom resource definition's OpenAPI v3 schema, as the Kubernetes API server applies it to a resource:
 * types, enums, required fields, and unknown fields refused (structural schemas prune them; a typo in a manifest
 * would silently vanish). Enough of the schema language for the operator's CRDs: object, array, string,
 * integer, number, boolean, {@code additionalProperties}, {@code x-kubernetes-int-or-string},
 * {@code x-kubernetes-preserve-unknown-fields}.
 */
final class CrdSchema {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static final java.util.Set<String> ROOT_FIELDS = java.util.Set.of("apiVersion", "kind", "metadata");

    private final JsonNode schema;

    private CrdSchema(JsonNode schema) {
        this.schema = schema;
    }

    /** The schema of one version of a CRD on the class path, e.g. the operator's {@code META-INF/fabric8/…}. */
    static CrdSchema fromClasspath(String resource, String version) throws IOException {
        try (InputStream in = CrdSchema.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("no " + resource + " on the class path");
            }
            JsonNode crd = YAML.readTree(in);
            for (JsonNode v : crd.get("spec").get("versions")) {
                if (v.get("name").asText().equals(version)) {
                    return new CrdSchema(v.get("schema").get("openAPIV3Schema"));
                }
            }
            throw new IOException(resource + " has no version " + version);
        }
    }

    /** Every way the resource breaks the schema, as {@code path: problem}; empty when it conforms. */
    List<String> violations(JsonNode resource) {
        List<String> out = new ArrayList<>();
        check(resource, schema, "", out);
        return out;
    }

    private static void check(JsonNode node, JsonNode s, String path, List<String> out) {
        if (node == null || node.isNull()) {
            return;
        }
        if (s.path("x-kubernetes-int-or-string").asBoolean(false)) {
            if (!node.isTextual() && !node.isIntegralNumber()) {
                out.add(path + ": expected an integer or a string, got " + node.getNodeType());
            }
            return;
        }
        String type = s.path("type").asText("");
        switch (type) {
            case "object" -> {
                if (!node.isObject()) {
                    out.add(path + ": expected an object, got " + node.getNodeType());
                    return;
                }
                JsonNode props = s.get("properties");
                JsonNode additional = s.get("additionalProperties");
                boolean preserve =
                        s.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
                for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                    Map.Entry<String, JsonNode> f = it.next();
                    String p = path + "." + f.getKey();
                    if (path.isEmpty()
                            && ROOT_FIELDS.contains(f.getKey())
                            && (props == null || !props.has(f.getKey()))) {
                        continue; // the API server types these itself on every resource
                    }
                    if (props != null && props.has(f.getKey())) {
                        check(f.getValue(), props.get(f.getKey()), p, out);
                    } else if (additional != null && additional.isObject()) {
                        check(f.getValue(), additional, p, out);
                    } else if (!preserve && !(props == null && additional == null && isRootish(path))) {
                        out.add(p + ": unknown field");
                    }
                }
                for (JsonNode r : s.path("required")) {
                    if (!node.has(r.asText())) {
                        out.add(path + ": missing required field " + r.asText());
                    }
                }
            }
            case "array" -> {
                if (!node.isArray()) {
                    out.add(path + ": expected an array, got " + node.getNodeType());
                    return;
                }
                for (int i = 0; i < node.size(); i++) {
                    check(node.get(i), s.get("items"), path + "[" + i + "]", out);
                }
            }
            case "string" -> {
                if (!node.isTextual()) {
                    out.add(path + ": expected a string, got " + node.getNodeType() + " (quote it)");
                } else if (s.has("enum")) {
                    boolean known = false;
                    for (JsonNode e : s.get("enum")) {
                        known |= e.asText().equals(node.asText());
                    }
                    if (!known) {
                        out.add(path + ": '" + node.asText() + "' is not one of " + s.get("enum"));
                    }
                }
            }
            case "integer" -> {
                if (!node.isIntegralNumber()) {
                    out.add(path + ": expected an integer, got " + node.getNodeType());
                }
            }
            case "number" -> {
                if (!node.isNumber()) {
                    out.add(path + ": expected a number, got " + node.getNodeType());
                }
            }
            case "boolean" -> {
                if (!node.isBoolean()) {
                    out.add(path + ": expected a boolean, got " + node.getNodeType());
                }
            }
            default -> {
                // No type: anything goes (the schema says nothing more).
            }
        }
    }

    /** {@code metadata} is typed by the API server itself, not by the CRD (an object without properties). */
    private static boolean isRootish(String path) {
        return path.equals(".metadata") || path.endsWith(".metadata");
    }
}
