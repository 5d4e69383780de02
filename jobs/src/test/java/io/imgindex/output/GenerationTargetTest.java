package io.imgindex.output;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import org.junit.jupiter.api.Test;

class GenerationTargetTest {

    @Test
    void readsFoldersAndUris() {
        assertThat(GenerationTarget.outputPath("s3a://bucket/indexes").toUri().toString())
                .isEqualTo("s3a://bucket/indexes");
        assertThat(GenerationTarget.outputPath("file:/data/lists").toUri().getPath())
                .isEqualTo("/data/lists");
        assertThat(GenerationTarget.outputPath("file:///data/lists").toUri().getPath())
                .isEqualTo("/data/lists");
        assertThat(GenerationTarget.outputPath("/data/lists").toUri().toString())
                .isEqualTo("file:/data/lists");
        assertThat(GenerationTarget.outputPath("out/indexes").toUri().getPath())
                .isEqualTo(new File("out/indexes").getAbsolutePath());
    }
}
