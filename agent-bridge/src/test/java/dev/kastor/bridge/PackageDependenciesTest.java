package dev.kastor.bridge;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

/**
 * How agent-bridge's packages stand on each other, checked on the compiled classes (javadoc references do not
 * count): no cycles, so each package can be read, changed and tested standing on the ones below it; the apps only
 * assemble, so no feature reaches up into them; and a feature's KAS half and agent half never import each other,
 * since they run in different processes.
 */
class PackageDependenciesTest {
    static final JavaClasses CLASSES = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.kastor.bridge");

    @Test
    void noPackageDependsOnItselfThroughOthers() {
        slices().matching("dev.kastor.bridge.(**)").should().beFreeOfCycles().check(CLASSES);
    }

    @Test
    void onlyTheLaunchersUseTheApps() {
        noClasses().that().resideOutsideOfPackages("dev.kastor.bridge", "dev.kastor.bridge.kasapp..", "dev.kastor.bridge.agentapp..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.kastor.bridge.kasapp..", "dev.kastor.bridge.agentapp..")
                .check(CLASSES);
    }

    @Test
    void kasHalvesNeverImportAgentHalves() {
        noClasses().that().resideInAPackage("dev.kastor.bridge.*.server..")
                .should().dependOnClassesThat().resideInAPackage("dev.kastor.bridge.*.agent..")
                .check(CLASSES);
    }

    @Test
    void agentHalvesNeverImportKasHalves() {
        noClasses().that().resideInAPackage("dev.kastor.bridge.*.agent..")
                .should().dependOnClassesThat().resideInAPackage("dev.kastor.bridge.*.server..")
                .check(CLASSES);
    }
}
