package dev.dcache.common.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.lang.ArchRule;

/**
 * The rules every module's {@code ArchitectureTest} checks, in one place (shared through the common
 * test jar). A module is one of {@code common}, {@code master}, {@code aux}; its packages are
 * {@code dev.dcache.<module>.<concept>}.
 */
public final class ArchitectureRules {
    private ArchitectureRules() {
    }

    /** No import cycle between the module's concept packages (its root package, the wiring, is left out). */
    public static ArchRule noPackageCycles(String module) {
        return slices().matching("dev.dcache." + module + ".(*)..").namingSlices("$1")
                .should().beFreeOfCycles()
                .because("a package is one concept; a cycle makes two of them one");
    }

    /** The module's classes import nothing of the named other modules. */
    public static ArchRule independentOf(String module, String... others) {
        String[] packages = new String[others.length];
        for (int i = 0; i < others.length; i++) {
            packages[i] = "dev.dcache." + others[i] + "..";
        }
        return noClasses().that().resideInAPackage("dev.dcache." + module + "..")
                .should().dependOnClassesThat().resideInAnyPackage(packages)
                .because(module + " is built and deployed on its own");
    }

    /**
     * The module's metrics package is a table of meters fed by the components: it imports no other
     * package of its module, so no component it measures.
     */
    public static ArchRule metricsImportNothingOfTheModule(String module) {
        String metrics = "dev.dcache." + module + ".metrics..";
        return noClasses().that().resideInAPackage(metrics)
                .should().dependOnClassesThat(
                        com.tngtech.archunit.base.DescribedPredicate.describe("another package of " + module,
                                c -> c.getPackageName().startsWith("dev.dcache." + module + ".")
                                        && !c.getPackageName().startsWith("dev.dcache." + module + ".metrics")))
                .because("components record through the meters they are given; metrics pull from none of them");
    }
}
