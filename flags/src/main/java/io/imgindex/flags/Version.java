package io.imgindex.flags;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** What {@code imgindex --version} prints: this build's version and the versions it was built against. */
public final class Version {

    private Version() {}

    /** {@code imgindex 0.1.0 (Flink 1.20.5, TensorFlow Java 1.1.0; running on Java 17.0.15)}. */
    public static String line() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("version.properties")) {
            if (in == null) {
                throw new IllegalStateException("version.properties is missing from the build");
            }
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return "imgindex " + p.getProperty("imgindex") + " (Flink " + p.getProperty("flink") + ", TensorFlow Java "
                + p.getProperty("tensorflow-java") + "; running on Java " + Runtime.version() + ")";
    }
}
