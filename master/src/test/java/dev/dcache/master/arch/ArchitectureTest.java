package dev.dcache.master.arch;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.dcache.common.arch.ArchitectureRules;

/** The master's package structure, checked on its compiled main classes (docs/architecture.md). */
@AnalyzeClasses(packages = "dev.dcache.master", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule noPackageCycles = ArchitectureRules.noPackageCycles("master");

    @ArchTest
    static final ArchRule noAuxClass = ArchitectureRules.independentOf("master", "aux");

    @ArchTest
    static final ArchRule metricsAreFed = ArchitectureRules.metricsImportNothingOfTheModule("master");

    @ArchTest
    static final ArchRule routingKnowsNoApi = noClasses().that().resideInAPackage("dev.dcache.master.routing..")
            .should().dependOnClassesThat().resideInAPackage("dev.dcache.master.api..")
            .because("the HTTP front calls the router, never the reverse");
}
