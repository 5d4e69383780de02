package io.imgindex.format.segment;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;

/**
 * Segment files in a local folder, the index root: written under a hidden {@code .<name>.inprogress} name and
 * renamed atomically when published.
 */
public final class LocalSegmentOutput implements SegmentOutput {

    private final Path root;

    public LocalSegmentOutput(Path indexRoot) {
        this.root = indexRoot;
    }

    private Path target(String rootRelative) {
        return root.resolve(rootRelative);
    }

    private Path writing(String rootRelative) {
        Path t = target(rootRelative);
        return t.resolveSibling("." + t.getFileName() + ".inprogress");
    }

    @Override
    public OutputStream create(String rootRelative) throws IOException {
        Path w = writing(rootRelative);
        Files.createDirectories(w.getParent());
        if (Files.exists(target(rootRelative))) {
            throw new FileAlreadyExistsException(target(rootRelative).toString());
        }
        return Files.newOutputStream(w, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
    }

    @Override
    public void publish(String rootRelative) throws IOException {
        Files.move(writing(rootRelative), target(rootRelative), StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public void discard(String rootRelative) {
        try {
            Files.deleteIfExists(writing(rootRelative));
        } catch (IOException e) {
            // Best effort: an in-progress name is never listed by a manifest, and retention removes it.
        }
    }
}
