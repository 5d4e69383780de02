package io.imgindex.format;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Consumer;
import java.util.function.Function;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.api.ReadSupport;
import org.apache.parquet.hadoop.example.GroupReadSupport;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.util.HadoopInputFile;

/**
 * Reads an index through Hadoop's file systems ({@code file:}, {@code s3a:} with the usual {@code fs.s3a.*}
 * keys): the latest-generation pointer, manifests, and the rows of the files a manifest lists.
 *
 * <p>A reader trusts nothing but the manifest: {@link #verify} checks every listed file's size, SHA-256 and
 * row count, and files not listed are ignored. Not thread-safe for concurrent use of one instance only
 * because Hadoop's file systems are shared and cached; reading different files from several threads through
 * one instance is fine.
 */
public final class GenerationReader {

    private final Configuration conf;
    private final FileSystem fs;
    private final Path root;

    private GenerationReader(Configuration conf, FileSystem fs, Path root) {
        this.conf = conf;
        this.fs = fs;
        this.root = root;
    }

    /**
     * A reader of the index at {@code <output>/<name>}.
     *
     * @param output a local folder or a URI such as {@code s3a://bucket/indexes}
     * @param name the index name
     */
    public static GenerationReader open(String output, String name, Configuration conf) throws IOException {
        IndexLayout.checkIndexName(name);
        URI base = output.contains("://") ? URI.create(output) : new File(output).toURI();
        Path root = new Path(new Path(base), name);
        return new GenerationReader(conf, root.getFileSystem(conf), root);
    }

    /** The index root this reader reads. */
    public Path root() {
        return root;
    }

    /** The pointer to the latest complete generation, or empty if no generation was ever committed. */
    public Optional<LatestPointer> latest() throws IOException {
        Path p = new Path(root, IndexLayout.LATEST);
        try {
            return Optional.of(ManifestCodec.decodeLatest(readAll(p)));
        } catch (FileNotFoundException e) {
            return Optional.empty();
        }
    }

    /** The generation numbers present under the root, complete or not, in ascending order. */
    public List<Long> generations() throws IOException {
        List<Long> out = new ArrayList<>();
        FileStatus[] children;
        try {
            children = fs.listStatus(root);
        } catch (FileNotFoundException e) {
            return out;
        }
        for (FileStatus s : children) {
            OptionalLong n = IndexLayout.parseGenerationDir(s.getPath().getName());
            if (s.isDirectory() && n.isPresent()) {
                out.add(n.getAsLong());
            }
        }
        out.sort(Long::compare);
        return out;
    }

    /** Whether generation {@code n} is complete, i.e. has a manifest. */
    public boolean isComplete(long generation) throws IOException {
        return fs.exists(manifestPath(generation));
    }

    /**
     * Reads and validates the manifest of a generation.
     *
     * @throws IndexFormatException if it is missing, unreadable or of an unknown version
     */
    public Manifest manifest(long generation) throws IOException {
        Path p = manifestPath(generation);
        byte[] json;
        try {
            json = readAll(p);
        } catch (FileNotFoundException e) {
            throw new IndexFormatException("generation " + generation + " is incomplete: no " + p, e);
        }
        Manifest m = ManifestCodec.decodeManifest(json);
        if (m.generation() != generation) {
            throw new IndexFormatException(p + " says generation " + m.generation() + ", expected " + generation);
        }
        return m;
    }

    /**
     * Checks every file the manifest lists: it exists, has the listed size and SHA-256, and, for a Parquet file,
     * its footer holds the listed number of rows.
     *
     * @throws IndexFormatException on the first file that does not match, naming it
     */
    public void verify(Manifest manifest) throws IOException {
        for (ManifestFile f : manifest.files()) {
            Path p = dataPath(manifest.generation(), f);
            FileStatus status;
            try {
                status = fs.getFileStatus(p);
            } catch (FileNotFoundException e) {
                throw new IndexFormatException("listed file is missing: " + p, e);
            }
            if (status.getLen() != f.bytes()) {
                throw new IndexFormatException(p + " has " + status.getLen() + " bytes, manifest says " + f.bytes());
            }
            MessageDigest digest = Sha256.newDigest();
            byte[] buf = new byte[1 << 16];
            try (InputStream in = fs.open(p)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    digest.update(buf, 0, n);
                }
            }
            String sha = Sha256.hex(digest);
            if (!sha.equals(f.sha256())) {
                throw new IndexFormatException(p + " has SHA-256 " + sha + ", manifest says " + f.sha256());
            }
            if (!f.holdsRows()) {
                continue; // a segment's graph or PQ file: its node count is checked when a server opens it
            }
            long rows = footerRows(p);
            if (rows != f.rows()) {
                throw new IndexFormatException(p + " holds " + rows + " rows, manifest says " + f.rows());
            }
        }
    }

    /**
     * Reads a listed file into memory and checks its size and SHA-256 against the manifest: one read serves both
     * the check and the parsing (see {@link InMemoryInputFile}).
     *
     * @throws IndexFormatException if the file is missing or does not match
     */
    public byte[] readVerified(Manifest manifest, ManifestFile file) throws IOException {
        Path p = dataPath(manifest.generation(), file);
        if (file.bytes() > Integer.MAX_VALUE - 8) {
            throw new IndexFormatException(p + " is " + file.bytes() + " bytes, too large to hold in memory");
        }
        byte[] bytes;
        try (InputStream in = fs.open(p)) {
            bytes = in.readNBytes((int) file.bytes() + 1);
        } catch (FileNotFoundException e) {
            throw new IndexFormatException("listed file is missing: " + p, e);
        }
        if (bytes.length != file.bytes()) {
            throw new IndexFormatException(p + " has " + (bytes.length > file.bytes() ? "more than " : "")
                    + bytes.length + " bytes, manifest says " + file.bytes());
        }
        String sha = Sha256.hex(bytes);
        if (!sha.equals(file.sha256())) {
            throw new IndexFormatException(p + " has SHA-256 " + sha + ", manifest says " + file.sha256());
        }
        return bytes;
    }

    /** Parses the rows of a file already in memory with parquet-hadoop's example {@link Group}s. */
    public static <T> List<T> parseRows(byte[] file, Function<Group, T> convert) throws IOException {
        List<T> out = new ArrayList<>();
        try (ParquetReader<Group> reader = new ParquetReader.Builder<Group>(new InMemoryInputFile(file)) {
            @Override
            protected ReadSupport<Group> getReadSupport() {
                return new GroupReadSupport();
            }
        }.build()) {
            for (Group g; (g = reader.read()) != null; ) {
                out.add(convert.apply(g));
            }
        }
        return out;
    }

    /** Reads every index row of a generation, file by file in manifest order. */
    public void readIndex(Manifest manifest, Consumer<IndexRow> sink) throws IOException {
        read(manifest, Table.INDEX, IndexRow::fromGroup, sink);
    }

    /** Reads the index rows of one listed file. */
    public void readIndexFile(Manifest manifest, ManifestFile file, Consumer<IndexRow> sink) throws IOException {
        if (file.tableKind() != Table.INDEX) {
            throw new IllegalArgumentException(file.path() + " is not a file of the index table");
        }
        readFile(manifest, file, IndexRow::fromGroup, sink);
    }

    /** Reads every duplicate row of a generation. */
    public void readDuplicates(Manifest manifest, Consumer<DuplicateRow> sink) throws IOException {
        read(manifest, Table.DUPLICATES, DuplicateRow::fromGroup, sink);
    }

    /** Reads every failure row of a generation. */
    public void readFailures(Manifest manifest, Consumer<FailureRow> sink) throws IOException {
        read(manifest, Table.FAILURES, FailureRow::fromGroup, sink);
    }

    /** Opens a listed file for reading, unchecked: the caller verifies what it reads. */
    public InputStream open(Manifest manifest, ManifestFile file) throws IOException {
        try {
            return fs.open(dataPath(manifest.generation(), file));
        } catch (FileNotFoundException e) {
            throw new IndexFormatException("listed file is missing: " + dataPath(manifest.generation(), file), e);
        }
    }

    /** The listed file as a local path when the index is on a local file system, else empty. */
    public Optional<java.nio.file.Path> localFile(Manifest manifest, ManifestFile file) {
        Path p = dataPath(manifest.generation(), file);
        URI uri = p.toUri();
        if ("file".equals(uri.getScheme()) || (uri.getScheme() == null && "file".equals(fs.getScheme()))) {
            return Optional.of(Paths.get(uri.getPath()));
        }
        return Optional.empty();
    }

    /** The absolute path of a listed file: in the generation's folder, or under the index root for a shared one. */
    public Path dataPath(long generation, ManifestFile file) {
        return new Path(root, IndexLayout.rootRelative(generation, file.path()));
    }

    private <T> void read(Manifest manifest, Table table, Function<Group, T> convert, Consumer<T> sink)
            throws IOException {
        for (ManifestFile f : manifest.filesOf(table)) {
            readFile(manifest, f, convert, sink);
        }
    }

    private <T> void readFile(Manifest manifest, ManifestFile f, Function<Group, T> convert, Consumer<T> sink)
            throws IOException {
        try (ParquetReader<Group> reader = ParquetReader.builder(
                        new GroupReadSupport(), dataPath(manifest.generation(), f))
                .withConf(conf)
                .build()) {
            for (Group g; (g = reader.read()) != null; ) {
                sink.accept(convert.apply(g));
            }
        }
    }

    private long footerRows(Path p) throws IOException {
        try (ParquetFileReader reader = ParquetFileReader.open(HadoopInputFile.fromPath(p, conf))) {
            return reader.getFooter().getBlocks().stream()
                    .mapToLong(BlockMetaData::getRowCount)
                    .sum();
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private Path manifestPath(long generation) {
        return new Path(new Path(root, IndexLayout.generationDir(generation)), IndexLayout.MANIFEST);
    }

    private byte[] readAll(Path p) throws IOException {
        try (InputStream in = fs.open(p)) {
            return in.readAllBytes();
        }
    }
}
