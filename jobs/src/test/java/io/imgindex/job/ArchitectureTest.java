package io.imgindex.job;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The job and its command line never touch the server's HTTP stack. */
class ArchitectureTest {

    @Test
    void theJobUsesNoNettyAndNoServer() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("io.netty..", "io.imgindex.server..")
                .check(new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages(
                                "io.imgindex.job", "io.imgindex.output", "io.imgindex.stream", "io.imgindex.cli"));
    }
}
