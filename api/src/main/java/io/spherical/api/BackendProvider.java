package io.spherical.api;

/**
 * Service-provider interface of a compute backend, found with {@link java.util.ServiceLoader}.
 *
 * <p>Constructing a provider and calling {@link #probe()} must never load native code that can crash the JVM:
 * natives load in {@link #create()} only. Register an implementation in
 * {@code META-INF/services/io.spherical.api.BackendProvider}.
 */
public interface BackendProvider {

    /** Short unique name used to force this backend, e.g. {@code nd4j}. */
    String name();

    /**
     * Rank among available providers; higher wins. Reference points: CPU ND4J 50, OpenCL on a GPU 100,
     * OpenCL on a CPU device 10.
     */
    int priority();

    /** Whether {@link #create()} can be expected to succeed here, and why not if not. Cheap and crash-free. */
    Probe probe();

    /** Creates the backend; this is where native libraries load. */
    Backend create();
}
