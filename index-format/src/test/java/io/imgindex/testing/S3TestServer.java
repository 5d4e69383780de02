package io.imgindex.testing;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStore;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 protocol server in this JVM (S3Proxy over an in-memory jclouds store, or over a folder) on a free
 * loopback port, with one bucket, and the settings that point Flink's S3 plugin ({@link #flinkSettings()}) and Hadoop's S3A
 * ({@link #hadoopConf()}) at it.
 */
public final class S3TestServer implements AutoCloseable {

    public static final String ACCESS_KEY = "test-access";
    public static final String SECRET_KEY = "test-secret";

    private final BlobStoreContext context;
    private final S3Proxy proxy;
    private final String bucket;

    /** A server that keeps its objects in memory. */
    public S3TestServer(String bucket) throws Exception {
        this(bucket, null);
    }

    /** A server that keeps its objects as files under {@code folder} (for data larger than the heap should hold). */
    public S3TestServer(String bucket, java.nio.file.Path folder) throws Exception {
        this.bucket = bucket;
        Properties props = new Properties();
        if (folder != null) {
            java.nio.file.Files.createDirectories(folder);
            props.setProperty("jclouds.filesystem.basedir", folder.toString());
        }
        context = ContextBuilder.newBuilder(folder == null ? "transient" : "filesystem")
                .credentials("identity", "credential")
                .overrides(props)
                .build(BlobStoreContext.class);
        BlobStore store = context.getBlobStore();
        store.createContainerInLocation(null, bucket);
        proxy = S3Proxy.builder()
                .blobStore(store)
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .build();
        proxy.start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (!proxy.getState().equals("STARTED")) {
            if (System.currentTimeMillis() > deadline) {
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            Thread.sleep(20);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** {@code s3a://<bucket>/<key>} */
    public String uri(String key) {
        return "s3a://" + bucket + "/" + key;
    }

    public BlobStore store() {
        return context.getBlobStore();
    }

    public String bucket() {
        return bucket;
    }

    /** The Flink settings (the {@code s3.*} keys the S3 plugin maps onto {@code fs.s3a.*}). */
    public Map<String, String> flinkSettings() {
        return Map.of(
                "s3.endpoint",
                endpoint(),
                "s3.endpoint.region",
                "us-east-1",
                "s3.path.style.access",
                "true",
                "s3.access-key",
                ACCESS_KEY,
                "s3.secret-key",
                SECRET_KEY,
                "s3.connection.ssl.enabled",
                "false");
    }

    /** Plain Hadoop S3A settings, for reading back without Flink. */
    public org.apache.hadoop.conf.Configuration hadoopConf() {
        org.apache.hadoop.conf.Configuration c = new org.apache.hadoop.conf.Configuration();
        c.set("fs.s3a.endpoint", endpoint());
        c.set("fs.s3a.endpoint.region", "us-east-1");
        c.set("fs.s3a.path.style.access", "true");
        c.set("fs.s3a.connection.ssl.enabled", "false");
        c.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider");
        c.set("fs.s3a.access.key", ACCESS_KEY);
        c.set("fs.s3a.secret.key", SECRET_KEY);
        c.setBoolean("fs.s3a.impl.disable.cache", true);
        return c;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        } finally {
            context.close();
        }
    }
}
