package io.imgindex.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.imgindex.flags.Flags;
import io.imgindex.imaging.embed.ThumbnailModel;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading the job's flags is pure; resolving the model is the one step that may download and convert. */
class IndexJobConfigTest {

    @TempDir
    Path cache;

    private IndexJobConfig parse(String model) {
        return IndexJobConfig.from(Flags.parse(
                        new String[] {"--input", "urls.txt", "--model", model, "--model-cache", cache.toString()},
                        IndexOptions.ALL)
                .options());
    }

    @Test
    void parsingTheFlagsTouchesNoModel() {
        // A catalogued model that is not in the cache: resolving it would fetch its package with npm.
        parse("mobilenet-v2-140");
        assertThat(cache).isEmptyDirectory();
    }

    @Test
    void resolvingTheModelGivesWhatDependsOnItsCard() {
        JobModel model = parse(ThumbnailModel.ID).resolveModel();
        assertThat(model.card().id()).isEqualTo(ThumbnailModel.ID);
        assertThat(model.embed().builtIn()).as("exported by each task manager").isTrue();
        assertThat(model.decode().targetWidth()).isPositive();
        assertThat(model.segments().graph().pqSubspaces()).isPositive();
        assertThat(model.nearDupNote()).isNotBlank();
    }
}
