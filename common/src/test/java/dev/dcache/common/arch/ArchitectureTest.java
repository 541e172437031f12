package dev.dcache.common.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The shared module's package structure, checked on its compiled main classes (docs/architecture.md). */
@AnalyzeClasses(packages = "dev.dcache.common", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule noPackageCycles = ArchitectureRules.noPackageCycles("common");

    @ArchTest
    static final ArchRule noModuleClass = ArchitectureRules.independentOf("common", "master", "aux");

    @ArchTest
    static final ArchRule metricsAreFed = ArchitectureRules.metricsImportNothingOfTheModule("common");
}
