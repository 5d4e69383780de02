package io.imgindex.imaging;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** Images without Flink: the job's functions and the server both call this module, so it uses neither. */
class ArchitectureTest {

    @Test
    void imagingUsesNoFlinkNoNettyAndNoCaller() {
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage(
                        "org.apache.flink..",
                        "io.netty..",
                        "io.imgindex.server..",
                        "io.imgindex.job..",
                        "io.imgindex.item..",
                        "io.imgindex.dedup..")
                .check(new ClassFileImporter()
                        .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                        .importPackages("io.imgindex.imaging"));
    }
}
