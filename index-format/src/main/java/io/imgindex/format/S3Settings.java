package io.imgindex.format;

import java.util.Map;
import org.apache.hadoop.conf.Configuration;

/**
 * Hadoop settings from the {@code --conf KEY=VALUE} pairs of a command: the {@code s3.*} keys Flink's S3 plugin
 * takes (so one set of flags works for the job and for the readers) become {@code fs.s3a.*}; other keys pass
 * as they are. Credentials come from the environment (S3A's default provider chain), never from here.
 */
public final class S3Settings {

    private S3Settings() {}

    public static Configuration hadoopConf(Map<String, String> settings) {
        Configuration hadoop = new Configuration();
        settings.forEach((key, value) -> hadoop.set(hadoopKey(key), value));
        return hadoop;
    }

    static String hadoopKey(String key) {
        String k = key;
        if (k.startsWith("s3.") || k.startsWith("s3a.")) {
            k = "fs.s3a." + k.substring(k.indexOf('.') + 1);
        }
        return switch (k) {
            case "fs.s3a.access-key" -> "fs.s3a.access.key";
            case "fs.s3a.secret-key" -> "fs.s3a.secret.key";
            case "fs.s3a.path-style-access" -> "fs.s3a.path.style.access";
            default -> k;
        };
    }
}
