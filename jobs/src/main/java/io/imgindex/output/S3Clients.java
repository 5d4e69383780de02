package io.imgindex.output;

import io.imgindex.format.S3Settings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.s3a.S3AFileSystem;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * S3 clients for the commit's conditional writes, made by S3A from the {@code s3.*} / {@code fs.s3a.*} settings (so
 * endpoint, region, path style and the credential chain are S3A's, as for every other read and write of an index).
 * One per bucket and settings for the life of the process, like Flink's own file system cache.
 */
final class S3Clients {

    private record Key(String bucket, Map<String, String> settings) {}

    private static final ConcurrentMap<Key, S3AFileSystem> FILE_SYSTEMS = new ConcurrentHashMap<>();

    private S3Clients() {}

    static S3Client forBucket(String bucket, Map<String, String> settings) {
        S3AFileSystem fs = FILE_SYSTEMS.computeIfAbsent(new Key(bucket, Map.copyOf(settings)), k -> {
            try {
                // newInstance, not get: Hadoop's cache is keyed by bucket only, and settings may differ.
                return (S3AFileSystem)
                        FileSystem.newInstance(URI.create("s3a://" + bucket + "/"), S3Settings.hadoopConf(settings));
            } catch (IOException e) {
                throw new UncheckedIOException("could not reach bucket " + bucket + ": " + e.getMessage(), e);
            }
        });
        return fs.getS3AInternals().getAmazonS3Client("imgindex conditional commit writes");
    }
}
