package io.imgindex.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The module's manifests and the build facts they must agree with, read from the files themselves. */
final class Manifests {

    static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    /** The module folder (tests run in it). */
    static final Path DIR = Paths.get("").toAbsolutePath();

    static final Path ROOT = DIR.getParent();

    private Manifests() {}

    /** A document of a YAML file. */
    record Doc(Path file, JsonNode node) {
        String kind() {
            return node.path("kind").asText();
        }

        String name() {
            return node.path("metadata").path("name").asText();
        }
    }

    /** Every document of every {@code *.yaml} file of the module. */
    static List<Doc> all() throws IOException {
        List<Doc> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(DIR)) {
            for (Path f :
                    files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (YAMLParser parser = new YAMLFactory().createParser(f.toFile())) {
                    for (JsonNode n : YAML.readValues(parser, JsonNode.class).readAll()) {
                        if (n != null && !n.isNull() && !n.isEmpty()) {
                            docs.add(new Doc(f, n));
                        }
                    }
                }
            }
        }
        return docs;
    }

    static List<Doc> ofKind(String kind) throws IOException {
        return all().stream().filter(d -> d.kind().equals(kind)).toList();
    }

    /** A property of the root pom, e.g. {@code flink.version}. */
    static String pomProperty(String name) throws IOException {
        Matcher m = Pattern.compile("<" + Pattern.quote(name) + ">([^<]+)</")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        if (!m.find()) {
            throw new IOException("no <" + name + "> in the root pom.xml");
        }
        return m.group(1).strip();
    }

    /** The project's version, from the root pom. */
    static String projectVersion() throws IOException {
        Matcher m = Pattern.compile("<artifactId>imgindex-parent</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(ROOT.resolve("pom.xml")));
        if (!m.find()) {
            throw new IOException("no project version in the root pom.xml");
        }
        return m.group(1).strip();
    }

    static String dockerfile() throws IOException {
        return Files.readString(DIR.resolve("Dockerfile"));
    }
}
