package com.example.reference;

import io.spherical.api.Backend;
import io.spherical.api.BackendProvider;
import io.spherical.api.Probe;

/**
 * Provider of the reference backend, listed in {@code META-INF/services/io.spherical.api.BackendProvider}. It is always
 * available (plain Java, nothing to load) and has the lowest priority: discovery picks it only when no other backend
 * can run, or when asked for by name ({@code --backend reference}, {@code -Dspherical.backend=reference}).
 */
public final class ReferenceBackendProvider implements BackendProvider {

    /** The name used to force this backend. */
    public static final String NAME = "reference";

    /** Below every other backend's (ND4J 50, OpenCL 10 on a CPU device and 100 on a GPU). */
    public static final int PRIORITY = 0;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        return PRIORITY;
    }

    @Override
    public Probe probe() {
        return Probe.available(ReferenceBackend.DEVICE);
    }

    @Override
    public Backend create() {
        return new ReferenceBackend();
    }
}
