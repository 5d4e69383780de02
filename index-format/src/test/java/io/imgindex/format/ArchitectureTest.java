package io.imgindex.format;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/** The format is read by the job, the servers and any Parquet reader: it depends on neither Flink nor Netty. */
class ArchitectureTest {

    @Test
    void theFormatUsesNoFlinkAndNoNetty() {
        JavaClasses format = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("io.imgindex.format");
        noClasses()
                .should()
                .dependOnClassesThat()
                .resideInAnyPackage("org.apache.flink..", "io.netty..", "io.imgindex.server..", "io.imgindex.job..")
                .check(format);
    }
}
