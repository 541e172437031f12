package dev.dcache.client.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/** The client's dependencies and layers, checked on its compiled main classes. */
@AnalyzeClasses(packages = "dev.dcache.client", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule onlyTheJdkAndJackson = classes().that().resideInAPackage("dev.dcache.client..")
            .should().onlyDependOnClassesThat().resideInAnyPackage("java..", "com.fasterxml.jackson..", "dev.dcache.client..")
            .because("applications depend on the client; it must not bring the server (common, Javalin, Jetty) along");

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.dcache.client.(*)..").namingSlices("$1")
            .should().beFreeOfCycles();

    @ArchTest
    static final ArchRule layers = noClasses().that().resideInAnyPackage("dev.dcache.client.transport..",
                    "dev.dcache.client.error..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.dcache.client", "dev.dcache.client.cli..")
            .because("the API is built on the transport, and the CLI on the API, never the other way round");
}
