package dev.dcache.aux.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;
import dev.dcache.common.arch.ArchitectureRules;

/** The aux node's package structure, checked on its compiled main classes (docs/architecture.md). */
@AnalyzeClasses(packages = "dev.dcache.aux", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {
    @ArchTest
    static final ArchRule noPackageCycles = ArchitectureRules.noPackageCycles("aux");

    @ArchTest
    static final ArchRule noMasterClass = ArchitectureRules.independentOf("aux", "master");

    @ArchTest
    static final ArchRule metricsAreFed = ArchitectureRules.metricsImportNothingOfTheModule("aux");
}
