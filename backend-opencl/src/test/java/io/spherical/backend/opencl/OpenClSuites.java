package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.api.Probe;
import org.junit.jupiter.api.Assumptions;

/** Creates the OpenCL backend for the suites, or skips them with the probe's reason when no platform exists. */
final class OpenClSuites {
    private OpenClSuites() {
    }

    static Backend create() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        Probe probe = p.probe();
        Assumptions.assumeTrue(probe.available(), () -> "OpenCL suites skipped: " + probe.detail());
        return p.create();
    }
}
