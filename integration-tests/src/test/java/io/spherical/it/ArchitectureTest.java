package io.spherical.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/** The direction of dependencies of DESIGN.md, enforced on the compiled classes of every module. */
@AnalyzeClasses(packages = "io.spherical", importOptions = ImportOption.DoNotIncludeTests.class)
class ArchitectureTest {

    @ArchTest
    static final ArchRule apiDependsOnNoBackendOrLibrary = noClasses().that().resideInAPackage("io.spherical.api..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.spherical.backend..", "io.spherical.models..", "org.nd4j..", "org.jocl..",
                    "com.google.inject..", "org.bytedeco..")
            .because("api is the JDK-only contract every module builds on");

    @ArchTest
    static final ArchRule nd4jNamesNoOtherBackend = backendIsolated("nd4j");

    @ArchTest
    static final ArchRule openclNamesNoOtherBackend = backendIsolated("opencl");

    private static ArchRule backendIsolated(String name) {
        String own = "io.spherical.backend." + name + "..";
        return noClasses().that().resideInAPackage(own)
                .should().dependOnClassesThat(resideInAPackage("io.spherical.backend..").and(not(resideInAPackage(own))))
                .orShould().dependOnClassesThat().resideInAPackage("io.spherical.models..")
                .allowEmptyShould(true)
                .because("backends are independent providers of one SPI and no backend names another");
    }

    @ArchTest
    static final ArchRule modelsNameNoBackend = noClasses().that().resideInAnyPackage("io.spherical.models..", "io.spherical.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("io.spherical.backend..", "org.nd4j..", "org.jocl..")
            .allowEmptyShould(true)
            .because("backends are chosen at run time by what is on the classpath");
}
