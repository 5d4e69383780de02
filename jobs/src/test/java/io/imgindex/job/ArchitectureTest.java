package io.imgindex.job;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * The job, the pipeline's functions it runs (the udfs module's packages, which go into the job jar with it) and its
 * command line never touch the server's HTTP stack, and the job never reaches into the command line: what a cluster
 * runs ({@code IndexJob.main}) holds nothing of the local run.
 */
class ArchitectureTest {

    private static final JavaClasses MAIN = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages(
                    "io.imgindex.job",
                    "io.imgindex.output",
                    "io.imgindex.stream",
                    "io.imgindex.cli",
                    // udfs
                    "io.imgindex.input",
                    "io.imgindex.fetch",
                    "io.imgindex.decode",
                    "io.imgindex.embed",
                    "io.imgindex.dedup",
                    "io.imgindex.item");

    @Test
    void theJobUsesNoNettyAndNoServer() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.netty..", "io.imgindex.server..")
                .check(MAIN);
    }

    @Test
    void theJobKnowsNothingOfTheLocalRun() {
        noClasses()
                .that()
                .resideInAnyPackage(
                        "io.imgindex.job..",
                        "io.imgindex.output..",
                        "io.imgindex.stream..",
                        "io.imgindex.input..",
                        "io.imgindex.fetch..",
                        "io.imgindex.decode..",
                        "io.imgindex.embed..",
                        "io.imgindex.dedup..",
                        "io.imgindex.item..")
                .should()
                .dependOnClassesThat()
                .resideInAPackage("io.imgindex.cli..")
                .check(MAIN);
    }
}
