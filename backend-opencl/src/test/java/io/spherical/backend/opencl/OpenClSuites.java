package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.api.Probe;
import io.spherical.testkit.Availability;

/** Creates the OpenCL backend for the suites, or skips them with the probe's reason (fails them where required). */
final class OpenClSuites {
    private OpenClSuites() {
    }

    static Backend create() {
        OpenClBackendProvider p = new OpenClBackendProvider();
        Probe probe = p.probe();
        Availability.requireOrSkip("opencl", probe);
        return p.create();
    }
}
