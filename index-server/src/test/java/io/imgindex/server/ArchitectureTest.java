package io.imgindex.server;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import io.imgindex.imaging.embed.EmbeddingBatcher;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The server's seams, checked on its classes: no Flink, images through {@code imaging} (never the pipeline's
 * functions), search apart from HTTP, no cycles between packages.
 */
class ArchitectureTest {

    static JavaClasses server;

    @BeforeAll
    static void load() {
        server = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.imgindex.server");
    }

    @Test
    void theServerNeverUsesFlink() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAPackage("org.apache.flink..")
                .check(server);
    }

    @Test
    void theServerUsesImagingNotThePipelinesFunctions() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "io.imgindex.fetch..",
                        "io.imgindex.decode..",
                        "io.imgindex.embed..",
                        "io.imgindex.item..",
                        "io.imgindex.input..",
                        "io.imgindex.dedup..",
                        "io.imgindex.job..")
                .check(server);
    }

    /** Query images are decoded and embedded the one way the job does it: through {@code ImageEmbedder}. */
    @Test
    void queryImagesGoThroughTheImageEmbedder() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .haveFullyQualifiedName("io.imgindex.imaging.decode.ImageDecoder")
                .orShould()
                .callMethod(EmbeddingBatcher.class, "submit", byte[].class)
                .check(server);
    }

    @Test
    void searchKnowsNothingOfHttp() {
        noClasses()
                .that()
                .resideInAPackage("io.imgindex.server.search..")
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.imgindex.server.http..", "io.netty..")
                .check(server);
    }

    @Test
    void packagesDoNotDependOnEachOtherInCircles() {
        slices().matching("io.imgindex.server.(*)..").should().beFreeOfCycles().check(server);
    }
}
