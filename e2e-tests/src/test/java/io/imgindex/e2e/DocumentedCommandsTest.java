package io.imgindex.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.cli.ImgIndexCli;
import io.imgindex.flags.Command;
import io.imgindex.server.ServeCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Every command the READMEs show is checked here without running it: each {@code bin/imgindex} command line parses
 * with its command's own flags (an unknown flag, a value given to a bare boolean, a {@code --conf} a command does not
 * take, a malformed number or duration all fail), each Maven or {@code bin/test} command names modules that exist,
 * each benchmark a class that exists, each {@code kubectl apply} a file that exists. {@code
 * DocumentedCommandsITCase} then runs those that can run on one machine. The report lists what was not checked and
 * why (a Kubernetes cluster, a bucket, a shell built-in).
 */
class DocumentedCommandsTest {

    /** Programs whose documented uses are not checked here, and why. */
    static final Map<String, String> NOT_CHECKED = Map.of(
            "curl", "run against a server by DocumentedCommandsITCase where it names no placeholder",
            "export", "a shell built-in",
            "cd", "a shell built-in",
            "docker", "no Docker engine on the development machines",
            "helm", "needs a Kubernetes cluster",
            "python3", "the Python client's own test runs it");

    @Test
    void everyDocumentedCommandIsValid() {
        List<DocCommands.Doc> docs = DocCommands.all();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> checked = new LinkedHashMap<>();
        List<String> notChecked = new ArrayList<>();
        for (DocCommands.Doc d : docs) {
            Optional<String> problem;
            String program = d.program();
            switch (program) {
                case "bin/imgindex" -> problem =
                        imgindex(d.words().subList(1, d.words().size()));
                case "mvn", "bin/test", "./mvnw" -> problem = modules(d.words());
                case "benchmarks/run" -> problem = benchmark(d.words());
                case "kubectl" -> problem = kubectl(d.words());
                default -> {
                    if (program.endsWith(".sh") || program.startsWith("bin/") || program.startsWith("./")) {
                        problem = Files.isExecutable(d.dir().resolve(program))
                                ? Optional.empty()
                                : Optional.of(program + " is not an executable file of the repository");
                    } else {
                        notChecked.add(d.where() + "  " + program + ": "
                                + NOT_CHECKED.getOrDefault(program, "not a program of this project"));
                        continue;
                    }
                }
            }
            checked.merge(program, 1, Integer::sum);
            problem.ifPresent(p -> problems.add(d.where() + "  " + d.text() + "\n      " + p));
        }
        System.out.println("documented commands checked, by program: " + checked);
        System.out.println("not checked here:\n  " + String.join("\n  ", notChecked));
        assertThat(problems).as("documented commands that are wrong").isEmpty();
        // Not vacuous: the quick start, the indexing, streaming, serving and import examples are all found.
        assertThat(checked.getOrDefault("bin/imgindex", 0)).isGreaterThanOrEqualTo(15);
        assertThat(checked).containsKeys("bin/test", "benchmarks/run", "kubectl");
    }

    @Test
    void theCheckCatchesWhatWasWrongBefore() {
        assertThat(imgindex(List.of("index", "--input", "a.csv", "--near-dup", "false")))
                .get()
                .asString()
                .contains("--no-near-dup");
        assertThat(imgindex(List.of("enroll", "--queue", "q", "--conf", "a=b", "f.csv")))
                .isPresent();
        assertThat(imgindex(List.of("serve", "--index", "x", "--prot", "1"))).isPresent();
        assertThat(imgindex(List.of("reindex"))).isPresent();
        assertThat(imgindex(List.of("index", "--input", "PATH", "[--shard", "N]")))
                .isPresent();
        assertThat(modules(List.of("mvn", "-pl", "jobs,nosuchmodule", "verify")))
                .isPresent();
        assertThat(DocCommands.words("bin/imgindex inspect --similar 'a b' --x=\"c d\""))
                .containsExactly("bin/imgindex", "inspect", "--similar", "a b", "--x=c d");
        assertThat(DocCommands.splitChain("a --x 1 && b | c; d &")).containsExactly("a --x 1", "b", "c", "d");
    }

    /** Parses a command line of bin/imgindex with that command's flags; the problem, if any. */
    static Optional<String> imgindex(List<String> args) {
        if (args.isEmpty()
                || Set.of("--help", "-h", "help", "--version", "version").contains(args.get(0))) {
            return Optional.empty();
        }
        String name = args.get(0);
        Optional<Command> command = name.equals("serve") ? Optional.of(ServeCli.COMMAND) : ImgIndexCli.command(name);
        if (command.isEmpty()) {
            return Optional.of("no command '" + name + "'");
        }
        if (args.stream().anyMatch(a -> a.startsWith("["))) {
            // A synopsis (--input PATH [--input PATH …] [options]): every flag it names must be one of the command's.
            Set<String> keys = new java.util.HashSet<>();
            command.get().options().forEach(o -> keys.add(o.key()));
            for (String a : args) {
                String flag = a.replaceAll("^\\[*--([a-z0-9.-]+).*$", "$1");
                if (a.replace("[", "").startsWith("--") && !keys.contains(flag) && !flag.equals("conf")) {
                    return Optional.of("the synopsis names --" + flag + ", which '" + name + "' does not take");
                }
            }
            return Optional.empty();
        }
        try {
            command.get().parse(args.subList(1, args.size()).toArray(new String[0]));
            return Optional.empty();
        } catch (RuntimeException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The modules a Maven command names with {@code -pl} must exist. */
    static Optional<String> modules(List<String> words) {
        for (int i = 0; i < words.size() - 1; i++) {
            if (words.get(i).equals("-pl") || words.get(i).equals("--projects")) {
                for (String m : words.get(i + 1).split(",")) {
                    if (!Files.isRegularFile(DocCommands.ROOT.resolve(m).resolve("pom.xml"))) {
                        return Optional.of("no module '" + m + "'");
                    }
                }
            }
        }
        return Optional.empty();
    }

    static Optional<String> benchmark(List<String> words) {
        if (words.size() < 2) {
            return Optional.of("benchmarks/run needs a benchmark class");
        }
        Path source = DocCommands.ROOT.resolve("benchmarks/src/main/java/io/imgindex/bench/" + words.get(1) + ".java");
        return Files.isRegularFile(source) ? Optional.empty() : Optional.of("no benchmark class " + words.get(1));
    }

    static Optional<String> kubectl(List<String> words) {
        for (int i = 0; i < words.size() - 1; i++) {
            if (words.get(i).equals("-f") && !Files.isRegularFile(DocCommands.ROOT.resolve(words.get(i + 1)))) {
                return Optional.of("no file " + words.get(i + 1));
            }
        }
        if (!words.contains("-n") && !words.contains("--namespace") && !words.contains("namespace")) {
            return Optional.of("kubectl without -n: every resource of this project lives in its own namespace");
        }
        return Optional.empty();
    }
}
