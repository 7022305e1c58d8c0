package io.spherical.testkit;

import io.spherical.api.Probe;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether a backend's suites may be skipped when it cannot run here. A developer without an OpenCL platform sees the
 * OpenCL suites skipped with the reason; CI sets {@code SPHERICAL_REQUIRE_OPENCL=1} (or
 * {@code -Dspherical.requireOpenCl=true}) so that a missing platform, for example a failed PoCL install, fails the
 * build instead of turning it green with the suites silently skipped.
 */
public final class Availability {
    private Availability() {
    }

    /** Whether OpenCL suites must run (CI). */
    public static boolean openClRequired() {
        String env = System.getenv("SPHERICAL_REQUIRE_OPENCL");
        return Boolean.getBoolean("spherical.requireOpenCl") || "1".equals(env) || "true".equalsIgnoreCase(env);
    }

    /** Skips the calling test when the probe says unavailable, or fails it when the backend is required. */
    public static void requireOrSkip(String backend, Probe probe) {
        boolean required = backend.equals("opencl") && openClRequired();
        if (required && !probe.available()) {
            throw new AssertionError(backend + " suites are required here (SPHERICAL_REQUIRE_OPENCL) but cannot run: "
                    + probe.detail());
        }
        Assumptions.assumeTrue(probe.available(), () -> backend + " suites skipped: " + probe.detail());
    }
}
