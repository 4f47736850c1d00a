package dev.kastor.steps;

import static com.tngtech.archunit.base.DescribedPredicate.describe;
import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.lang.annotation.Annotation;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The engine reports, the command renders: only the command line may use {@code dev.kastor.steps.cli} (the console,
 * the command's context, exit codes, dotenv output). The command line is every picocli command, every option holder a
 * command mixes in (a class with {@code @Option}, {@code @Parameters}, {@code @Mixin} or {@code @ArgGroup} fields,
 * such as the {@code *Flags}), and the classes nested in them. Everything else (apply, rollout wait, image build,
 * commit statuses, kubeconfig) takes plain values and reports through listeners, so a test or a benchmark drives it
 * as the command does. Checked on the compiled classes, so javadoc references do not count.
 */
class CommandLineBoundaryTest {
    private static final List<Class<? extends Annotation>> OPTION_ANNOTATIONS = List.of(Option.class, Parameters.class, Mixin.class, ArgGroup.class);

    private static final DescribedPredicate<JavaClass> COMMAND_LINE =
            describe("picocli commands, option holders or classes nested in them", CommandLineBoundaryTest::isCommandLine);

    @Test
    void onlyTheCommandLineUsesTheCliPackage() {
        var classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS).importPackages("dev.kastor.steps");
        noClasses().that().resideInAPackage("dev.kastor.steps..").and().resideOutsideOfPackage("dev.kastor.steps.cli").and(not(COMMAND_LINE))
                .should().dependOnClassesThat().resideInAPackage("dev.kastor.steps.cli")
                .check(classes);
    }

    private static boolean isCommandLine(JavaClass c) {
        boolean optionHolder = c.getFields().stream().anyMatch(f -> OPTION_ANNOTATIONS.stream().anyMatch(f::isAnnotatedWith));
        return c.isAnnotatedWith(Command.class) || optionHolder || c.getEnclosingClass().map(CommandLineBoundaryTest::isCommandLine).orElse(false);
    }
}
