package dev.kastor.steps;

import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * No two packages of pipeline-steps depend on each other, directly or round about: each package can be read, changed and
 * tested standing on the ones below it. Checked on the compiled classes, so javadoc references do not count.
 */
class PackageCyclesTest {
    @Test
    void noPackageDependsOnItselfThroughOthers() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.kastor.steps");
        slices().matching("dev.kastor.steps.(**)").should().beFreeOfCycles().check(classes);
    }
}
