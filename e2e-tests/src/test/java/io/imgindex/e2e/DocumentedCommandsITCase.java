package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The documented commands that run on one machine, run as written, in the order the READMEs give them, through
 * {@code bash} from the folder they are written for: {@code bin/imgindex} commands over the sample data (with
 * {@code out/} moved to a temporary folder), every {@code --help}, then the README's server and the {@code curl}
 * calls it shows against it (with its port, since {@code 8080} may be taken). What cannot run here is listed by
 * {@link DocumentedCommandsTest}, which parses all of them.
 */
class DocumentedCommandsITCase {

    /** Words that mark a command as an example to adapt, not one to run: placeholders, your bucket, a cluster. */
    static final List<String> PLACEHOLDERS = List.of(
            "…",
            "<",
            "s3a://my-bucket",
            "--saved-model /models/",
            "10.0.0.",
            "$",
            "--mode streaming",
            "enroll",
            "example.org");

    static final Path MODEL_CACHE = Paths.get("target/model-cache").toAbsolutePath();

    @TempDir
    Path tmp;

    record Ran(int exit, String output) {}

    @Test
    void documentedCommandsRunAsWritten() throws Exception {
        List<String> ran = new ArrayList<>();
        for (DocCommands.Doc d : DocCommands.all()) {
            if (!d.program().equals("bin/imgindex") || !runnable(d) || d.words().contains("serve") && !isHelp(d)) {
                continue;
            }
            String command =
                    d.text().replace("out/indexes", tmp.resolve("indexes").toString());
            int id = d.words().indexOf("--id");
            if (d.words().contains("import-model") && id > 0) {
                // A model imported under an id by an earlier run of this test: import-model refuses to overwrite.
                deleteTree(MODEL_CACHE.resolve(d.words().get(id + 1)));
            }
            Ran r = bash(command, d.dir(), Map.of());
            assertThat(r.exit())
                    .as(d.where() + "  " + command + "\n" + r.output())
                    .isZero();
            ran.add(d.where() + "  " + d.text());
            if (d.words().contains("--similar") && d.words().contains("sample")) {
                // The quick start shows these lines; they must be what a user sees.
                assertThat(r.output())
                        .contains("read 41 = indexed 39 + duplicates 1 (exact 1) + failed 1 (skipped lines 3)")
                        .contains("failed by reason: NOT_FOUND 1")
                        .contains("coffee-copy              duplicate of coffee")
                        .contains("nearest neighbours of 'coffee'");
            }
        }
        System.out.println("ran:\n  " + String.join("\n  ", ran));
        assertThat(ran)
                .as("the quick start, the faces example, import-model and the helps")
                .hasSizeGreaterThan(6);
    }

    @Test
    void theReadmesServerAnswersItsCurlCalls() throws Exception {
        List<DocCommands.Doc> readme = DocCommands.of(DocCommands.ROOT.resolve("README.md"));
        Ran index = bash(
                "bin/imgindex index --input sample-data/photos.csv --allow-file-root sample-data --output "
                        + tmp.resolve("indexes") + " --name sample",
                DocCommands.ROOT,
                Map.of());
        assertThat(index.exit()).as(index.output()).isZero();

        DocCommands.Doc serve = readme.stream()
                .filter(d -> d.words().size() > 2 && d.words().get(1).equals("serve") && runnable(d))
                .findFirst()
                .orElseThrow();
        String token = "docs-test-token";
        Path log = tmp.resolve("serve.log");
        ProcessBuilder pb = new ProcessBuilder(
                        "bash",
                        "-c",
                        "exec "
                                + serve.text()
                                        .replace(
                                                "out/indexes",
                                                tmp.resolve("indexes").toString())
                                        .replace("--port 8080", "--port 0"))
                .directory(serve.dir().toFile())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile());
        environment(pb, Map.of("IMGINDEX_ADMIN_TOKEN", token));
        Process server = pb.start();
        try {
            int port = awaitPort(server, log);
            List<String> called = new ArrayList<>();
            for (DocCommands.Doc d : readme) {
                if (!d.program().equals("curl") || !d.text().contains("localhost:8080")) {
                    continue;
                }
                if (PLACEHOLDERS.stream().filter(p -> !p.equals("$")).anyMatch(d.text()::contains)) {
                    continue;
                }
                // --fail: an HTTP error is a failed command, as it would be to a script.
                String command =
                        d.text().replace("localhost:8080", "localhost:" + port).replaceFirst("^curl ", "curl --fail ");
                Ran r = bash(command, d.dir(), Map.of("IMGINDEX_ADMIN_TOKEN", token));
                assertThat(r.exit())
                        .as(d.where() + "  " + command + "\n" + r.output())
                        .isZero();
                assertThat(r.output()).as(d.where()).startsWith("{");
                called.add(d.where() + "  " + d.text());
            }
            System.out.println("called:\n  " + String.join("\n  ", called));
            // /v1/index, search by image, similar, an item, rollback and back.
            assertThat(called).hasSizeGreaterThanOrEqualTo(6);
        } finally {
            server.destroy();
            server.waitFor(30, TimeUnit.SECONDS);
            server.destroyForcibly();
        }
    }

    static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var all = Files.walk(dir)) {
            for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    static boolean runnable(DocCommands.Doc d) {
        return PLACEHOLDERS.stream().noneMatch(d.text()::contains)
                && d.words().stream().noneMatch(w -> w.startsWith("["));
    }

    static boolean isHelp(DocCommands.Doc d) {
        return d.words().contains("--help");
    }

    static Ran bash(String command, Path dir, Map<String, String> env) throws Exception {
        Path out = Files.createTempFile("doc-command", ".out");
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", command)
                .directory(dir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(out.toFile());
        environment(pb, env);
        Process p = pb.start();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError(command + " did not finish in 5 minutes:\n" + Files.readString(out));
        }
        return new Ran(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
    }

    static void environment(ProcessBuilder pb, Map<String, String> env) {
        // The build running this test is the build to use: never start another Maven inside it. Models go to this
        // module's folder, not the user's cache: CI starts from nothing.
        pb.environment().put("IMGINDEX_BUILD", "never");
        pb.environment().put("IMGINDEX_MODEL_CACHE", MODEL_CACHE.toString());
        pb.environment().putAll(env);
    }

    static boolean ready(int port) {
        try {
            java.net.http.HttpResponse<Void> r = java.net.http.HttpClient.newHttpClient()
                    .send(
                            java.net.http.HttpRequest.newBuilder(
                                            java.net.URI.create("http://127.0.0.1:" + port + "/readyz"))
                                    .build(),
                            java.net.http.HttpResponse.BodyHandlers.discarding());
            return r.statusCode() == 200;
        } catch (java.io.IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    static int awaitPort(Process server, Path log) throws Exception {
        Pattern listening = Pattern.compile("Listening on http://[^:\\s]+:(\\d+)");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            String text = Files.readString(log);
            Matcher m = listening.matcher(text);
            if (m.find() && ready(Integer.parseInt(m.group(1)))) {
                return Integer.parseInt(m.group(1));
            }
            if (!server.isAlive()) {
                throw new AssertionError("the server exited with " + server.exitValue() + ":\n" + text);
            }
            server.waitFor(200, TimeUnit.MILLISECONDS);
        }
        throw new AssertionError("the server did not start:\n" + Files.readString(log));
    }
}
