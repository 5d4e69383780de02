package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.flink.core.fs.Path;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.ResponseBytes;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Exception;

/** The S3 writes against a store that refuses conditional headers with 501, as some S3-compatible stores do. */
class CommitWritesTest {

    /** An in-memory S3 client that answers 501 to any PUT with a condition. */
    static final class NoConditionsStore {
        final Map<String, byte[]> objects = new HashMap<>();
        final AtomicInteger refused = new AtomicInteger();

        S3Client client() {
            return (S3Client) Proxy.newProxyInstance(
                    S3Client.class.getClassLoader(), new Class<?>[] {S3Client.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "putObject" -> {
                                PutObjectRequest put = (PutObjectRequest) args[0];
                                boolean conditional = put.overrideConfiguration()
                                        .map(o -> o.headers().containsKey("If-None-Match")
                                                || o.headers().containsKey("If-Match"))
                                        .orElse(false);
                                if (conditional) {
                                    refused.incrementAndGet();
                                    throw S3Exception.builder()
                                            .statusCode(501)
                                            .message("NotImplemented")
                                            .build();
                                }
                                objects.put(
                                        put.key(),
                                        ((RequestBody) args[1])
                                                .contentStreamProvider()
                                                .newStream()
                                                .readAllBytes());
                                return null;
                            }
                            case "getObjectAsBytes" -> {
                                GetObjectRequest.Builder b = GetObjectRequest.builder();
                                @SuppressWarnings("unchecked")
                                java.util.function.Consumer<GetObjectRequest.Builder> c =
                                        (java.util.function.Consumer<GetObjectRequest.Builder>) args[0];
                                c.accept(b);
                                byte[] body = objects.get(b.build().key());
                                if (body == null) {
                                    throw NoSuchKeyException.builder()
                                            .statusCode(404)
                                            .build();
                                }
                                return ResponseBytes.fromByteArray(
                                        GetObjectResponse.builder()
                                                .eTag("\"" + java.util.Arrays.hashCode(body) + "\"")
                                                .build(),
                                        body);
                            }
                            case "toString" -> {
                                return "NoConditionsStore";
                            }
                            default -> throw new UnsupportedOperationException(method.getName());
                        }
                    });
        }
    }

    static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aStoreWithoutConditionalWritesGetsACheckThenAPut() throws Exception {
        NoConditionsStore store = new NoConditionsStore();
        CommitWrites.S3 writes = new CommitWrites.S3("b", store::client);
        Path marker = new Path("s3://b/idx/generation=1/_STARTED");
        assertThat(writes.createIfAbsent(marker, text("first"))).isTrue();
        assertThat(store.refused.get())
                .as("asked with the condition once, then without")
                .isEqualTo(1);
        assertThat(writes.createIfAbsent(marker, text("second")))
                .as("checked: it exists")
                .isFalse();
        assertThat(store.objects.get("idx/generation=1/_STARTED")).isEqualTo(text("first"));

        Path pointer = new Path("s3://b/idx/_LATEST");
        assertThat(writes.replace(pointer, text("one"), Optional.empty())).isTrue();
        Optional<CommitWrites.Versioned> seen = writes.read(pointer);
        assertThat(writes.replace(pointer, text("two"), seen)).isTrue();
        assertThat(writes.replace(pointer, text("stale"), seen))
                .as("the version read is gone")
                .isFalse();
        assertThat(List.of(new String(store.objects.get("idx/_LATEST"), StandardCharsets.UTF_8)))
                .containsExactly("two");
        assertThat(store.refused.get()).as("the first refusal is remembered").isEqualTo(1);
    }
}
