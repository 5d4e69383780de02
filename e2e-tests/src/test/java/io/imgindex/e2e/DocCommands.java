package io.imgindex.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shell commands the project's READMEs show: every {@code ```bash} block of {@code README.md} and of each
 * module's README, continuation lines joined, comments dropped, and {@code &&}, {@code ;} and {@code |} chains split
 * into their commands.
 */
final class DocCommands {

    /** The repository root (tests run in their module's folder). */
    static final Path ROOT = Paths.get("..").toAbsolutePath().normalize();

    /** One documented command: where it is written, and its words as the shell would split them. */
    record Doc(Path file, int line, String text, List<String> words, Path dir) {

        String where() {
            return ROOT.relativize(file) + ":" + line;
        }

        String program() {
            return words.isEmpty() ? "" : words.get(0);
        }
    }

    private DocCommands() {}

    /** The READMEs that document commands: the root's and each module's. */
    static List<Path> readmes() {
        List<Path> files = new ArrayList<>();
        files.add(ROOT.resolve("README.md"));
        try (Stream<Path> dirs = Files.list(ROOT)) {
            dirs.filter(d -> Files.isRegularFile(d.resolve("README.md")) && Files.isRegularFile(d.resolve("pom.xml")))
                    .map(d -> d.resolve("README.md"))
                    .sorted()
                    .forEach(files::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Path samples = ROOT.resolve("sample-data/README.md");
        if (Files.isRegularFile(samples)) {
            files.add(samples);
        }
        return files;
    }

    static List<Doc> all() {
        List<Doc> docs = new ArrayList<>();
        for (Path f : readmes()) {
            docs.addAll(of(f));
        }
        return docs;
    }

    /** The commands of one Markdown file's bash blocks, in order. */
    static List<Doc> of(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<Doc> docs = new ArrayList<>();
        boolean inBash = false;
        StringBuilder pending = new StringBuilder();
        int pendingLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String raw = lines.get(i);
            String trimmed = raw.strip();
            if (trimmed.startsWith("```")) {
                inBash = !inBash && (trimmed.equals("```bash") || trimmed.equals("```sh"));
                pending.setLength(0);
                continue;
            }
            if (!inBash) {
                continue;
            }
            String code = stripComment(raw).strip();
            if (pending.length() == 0) {
                pendingLine = i + 1;
            }
            if (code.endsWith("\\")) {
                pending.append(code, 0, code.length() - 1).append(' ');
                continue;
            }
            pending.append(code);
            String command = pending.toString().strip();
            pending.setLength(0);
            if (command.isEmpty()) {
                continue;
            }
            Path dir = ROOT;
            for (String part : splitChain(command)) {
                List<String> words = words(part);
                if (words.size() == 2 && words.get(0).equals("cd")) {
                    dir = dir.resolve(words.get(1)).normalize();
                } else if (!words.isEmpty()) {
                    docs.add(new Doc(file, pendingLine, part.strip(), words, dir));
                }
            }
        }
        return docs;
    }

    /** A line without its {@code #} comment (a {@code #} at the start or after a blank, outside quotes). */
    static String stripComment(String line) {
        char quote = 0;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
            } else if (c == '#' && (i == 0 || Character.isWhitespace(line.charAt(i - 1)))) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** The commands of a chain: split at {@code &&}, {@code ||}, {@code ;} and {@code |} outside quotes. */
    static List<String> splitChain(String command) {
        List<String> parts = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        char quote = 0;
        int depth = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                cur.append(c);
                if (c == quote) {
                    quote = 0;
                }
                continue;
            }
            if (c == '(' || c == ')') {
                // $( … ) and ( … ): a chain inside is one word of the outer command.
                depth += c == '(' ? 1 : -1;
                cur.append(c);
            } else if (depth > 0) {
                cur.append(c);
            } else if (c == '\'' || c == '"') {
                quote = c;
                cur.append(c);
            } else if (c == ';' || c == '|' || (c == '&' && i + 1 < command.length() && command.charAt(i + 1) == '&')) {
                parts.add(cur.toString());
                cur.setLength(0);
                if (i + 1 < command.length() && command.charAt(i + 1) == c) {
                    i++;
                }
            } else if (c == '&') {
                // A command sent to the background: it ends here.
                parts.add(cur.toString());
                cur.setLength(0);
            } else {
                cur.append(c);
            }
        }
        parts.add(cur.toString());
        return parts.stream().map(String::strip).filter(p -> !p.isEmpty()).toList();
    }

    /** The words of a command as a POSIX shell splits them (quotes removed; no expansion). */
    static List<String> words(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else if (quote == '"' && c == '\\' && i + 1 < command.length()) {
                    cur.append(command.charAt(++i));
                } else {
                    cur.append(c);
                }
            } else if (c == '\'' || c == '"') {
                quote = c;
                inWord = true;
            } else if (c == '\\' && i + 1 < command.length()) {
                cur.append(command.charAt(++i));
                inWord = true;
            } else if (Character.isWhitespace(c)) {
                if (inWord) {
                    words.add(cur.toString());
                    cur.setLength(0);
                    inWord = false;
                }
            } else {
                cur.append(c);
                inWord = true;
            }
        }
        if (inWord) {
            words.add(cur.toString());
        }
        // Leading variable assignments (FOO=bar cmd) set the environment; the command follows them.
        int first = 0;
        while (first < words.size() && words.get(first).matches("[A-Za-z_][A-Za-z0-9_]*=.*")) {
            first++;
        }
        return List.copyOf(words.subList(first, words.size()));
    }
}
