package io.imgindex.testing;

import java.io.IOException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.CoreOptions;
import org.apache.flink.core.fs.FileSystem;
import org.apache.flink.core.plugin.DefaultPluginManager;
import org.apache.flink.core.plugin.DirectoryBasedPluginFinder;
import org.apache.flink.core.plugin.PluginManager;

/** Flink's S3 file system for tests: loaded as a plugin, as a cluster does. */
public final class FlinkS3 {

    private FlinkS3() {}

    /**
     * Loads Flink's S3 file system plugin from {@code target/plugins} (copied there by the build) with the given
     * settings. File systems are global to the JVM: call {@link #reset()} afterwards.
     */
    public static void initialize(Map<String, String> settings) throws IOException {
        Configuration conf = Configuration.fromMap(settings);
        Path plugins = Paths.get("target", "plugins").toAbsolutePath();
        if (!plugins.resolve("s3-fs-hadoop").toFile().isDirectory()) {
            throw new IllegalStateException("no S3 plugin in " + plugins + ": run the build's generate-test-resources");
        }
        PluginManager manager = new DefaultPluginManager(
                new DirectoryBasedPluginFinder(plugins).findPlugins(),
                CoreOptions.getPluginParentFirstLoaderPatterns(conf));
        FileSystem.initialize(conf, manager);
    }

    public static void reset() {
        FileSystem.initialize(new Configuration(), null);
    }
}
