package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.format.IndexLayout;
import io.imgindex.format.ManifestCodec;
import io.imgindex.testing.FlinkS3;
import io.imgindex.testing.S3TestServer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.apache.flink.core.fs.Path;
import org.jclouds.blobstore.BlobStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The commit's two conditional writes on a real S3 protocol server (S3Proxy in this JVM): a create that finds the key
 * taken, and a replace whose ETag is stale, write nothing and say so. S3Proxy checks the conditions before it writes
 * (a HEAD, then the PUT), so two writers racing at the same instant are not a test of it; S3 decides them atomically.
 * What is tested here is that the commit asks for the conditions and acts on the answers, one step at a time.
 */
class S3CommitWritesITCase {

    static S3TestServer s3;
    static Map<String, String> settings;

    @BeforeAll
    static void start() throws Exception {
        s3 = new S3TestServer("indexes");
        settings = s3.flinkSettings();
        FlinkS3.initialize(settings);
    }

    @AfterAll
    static void stop() {
        FlinkS3.reset();
        s3.close();
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String read(String key) throws Exception {
        BlobStore store = s3.store();
        try (var in = store.getBlob(s3.bucket(), key).getPayload().openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void usesConditionalWritesOnS3() throws Exception {
        assertThat(CommitWrites.forRoot(new Path(s3.uri("a")), settings)).isInstanceOf(CommitWrites.S3.class);
    }

    @Test
    void aCreateFindsTheKeyTakenAndWritesNothing() throws Exception {
        CommitWrites writes = CommitWrites.forRoot(new Path(s3.uri("create")), settings);
        Path marker = new Path(s3.uri("create/generation=1/_STARTED"));
        assertThat(writes.createIfAbsent(marker, text("first"))).isTrue();
        assertThat(writes.createIfAbsent(marker, text("second"))).as("taken").isFalse();
        assertThat(read("create/generation=1/_STARTED")).isEqualTo("first");
    }

    @Test
    void aReplaceWithAStaleVersionWritesNothing() throws Exception {
        CommitWrites writes = CommitWrites.forRoot(new Path(s3.uri("replace")), settings);
        Path pointer = new Path(s3.uri("replace/_LATEST"));
        assertThat(writes.read(pointer)).isEmpty();
        assertThat(writes.replace(pointer, text("one"), Optional.empty())).isTrue();
        assertThat(writes.replace(pointer, text("not one"), Optional.empty()))
                .as("it exists now")
                .isFalse();

        Optional<CommitWrites.Versioned> seen = writes.read(pointer);
        assertThat(seen).get().satisfies(v -> assertThat(new String(v.content(), StandardCharsets.UTF_8))
                .isEqualTo("one"));
        // Another writer moves it after this one read it: this one's replace must fail.
        assertThat(writes.replace(pointer, text("two"), seen)).isTrue();
        assertThat(writes.replace(pointer, text("stale"), seen))
                .as("version changed")
                .isFalse();
        assertThat(read("replace/_LATEST")).isEqualTo("two");
        assertThat(writes.replace(pointer, text("three"), writes.read(pointer))).isTrue();
        assertThat(read("replace/_LATEST")).isEqualTo("three");
    }

    @Test
    void generationsAreReservedAndThePointerMovesOnlyForward() throws Exception {
        Path root = new Path(s3.uri("catalogue"));
        assertThat(Generations.reserveNext(root, "{}", settings)).isEqualTo(1);
        // A run that listed the folders before generation 1 existed tries 1 first and gets 2.
        CommitWrites writes = CommitWrites.forRoot(root, settings);
        assertThat(writes.createIfAbsent(
                        new Path(s3.uri("catalogue/generation=1/" + Generations.STARTED_MARKER)), text("{}")))
                .isFalse();
        assertThat(Generations.reserveNext(root, "{}", settings)).isEqualTo(2);

        assertThat(Generations.moveLatest(root, 2, "t2", settings)).isTrue();
        assertThat(Generations.moveLatest(root, 1, "t1", settings))
                .as("never backwards")
                .isFalse();
        assertThat(ManifestCodec.decodeLatest(text(read("catalogue/" + IndexLayout.LATEST)))
                        .generation())
                .isEqualTo(2);
        assertThat(Generations.readLatest(root)).get().satisfies(l -> assertThat(l.generation())
                .isEqualTo(2));
    }
}
