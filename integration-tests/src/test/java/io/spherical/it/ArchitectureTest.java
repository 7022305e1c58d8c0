package io.spherical.it;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.resideInAPackage;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

/**
 * The direction of dependencies of docs/ARCHITECTURE.md, enforced on the compiled classes of every module:
 * api at the bottom; backends beside each other; models (what a model is made of) above api; training above models;
 * benchmarks and the command line on top.
 */
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
    static final ArchRule modelsKnowNothingOfTraining = noClasses().that().resideInAPackage("io.spherical.models..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "io.spherical.training..", "io.spherical.benchmarks..", "io.spherical.cli..",
                    "com.google.inject..", "com.fasterxml.jackson..")
            .because("models assemble a network; how it is trained, stored, measured or launched lives above them");

    @ArchTest
    static final ArchRule modelKnowsNoDataParallelism = noClasses().that().resideInAnyPackage(
                    "io.spherical.models.lm..", "io.spherical.models.layers..", "io.spherical.models.output..",
                    "io.spherical.models.loss..", "io.spherical.models.optim..")
            .should().dependOnClassesThat().resideInAPackage("io.spherical.models.parallel..")
            .orShould().dependOnClassesThat().haveFullyQualifiedName("io.spherical.api.Collective")
            .because("the data-parallel step (models.parallel) is built on the model; the model is read without it");

    @ArchTest
    static final ArchRule trainingKnowsNoCommandOrBenchmark = noClasses().that().resideInAPackage("io.spherical.training..")
            .should().dependOnClassesThat().resideInAnyPackage("io.spherical.benchmarks..", "io.spherical.cli..")
            .because("training is a library the command line and the benchmarks use, never the other way round");

    @ArchTest
    static final ArchRule benchmarksKnowNoCommand = noClasses().that().resideInAPackage("io.spherical.benchmarks..")
            .should().dependOnClassesThat().resideInAPackage("io.spherical.cli..")
            .because("the command line presents the benchmarks; they do not call it");

    @ArchTest
    static final ArchRule checkpointFormatKnowsNoTrainer = noClasses().that().resideInAPackage("io.spherical.training.checkpoint..")
            .should().dependOnClassesThat().resideInAPackage("io.spherical.training")
            .because("the checkpoint format is a file format, readable without the trainer");

    @ArchTest
    static final ArchRule modelsNameNoBackend = noClasses().that().resideInAnyPackage("io.spherical.models..", "io.spherical.training..", "io.spherical.benchmarks..", "io.spherical.cli..")
            .should().dependOnClassesThat().resideInAnyPackage("io.spherical.backend..", "org.nd4j..", "org.jocl..")
            .allowEmptyShould(true)
            .because("backends are chosen at run time by what is on the classpath");
}
