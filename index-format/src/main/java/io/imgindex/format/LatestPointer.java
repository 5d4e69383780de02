package io.imgindex.format;

/**
 * The content of {@code _LATEST}: which generation is the newest complete one. Written only after that
 * generation's manifest, and replaced atomically, so a reader that follows it always finds a manifest.
 *
 * @param generation the generation number
 * @param manifest the manifest's path relative to the index root, e.g. {@code generation=3/_manifest.json}
 * @param committedAt when the generation was committed (ISO-8601)
 */
public record LatestPointer(long generation, String manifest, String committedAt) {

    /** A pointer to generation {@code n}. */
    public static LatestPointer to(long generation, String committedAt) {
        return new LatestPointer(
                generation, IndexLayout.generationDir(generation) + "/" + IndexLayout.MANIFEST, committedAt);
    }
}
