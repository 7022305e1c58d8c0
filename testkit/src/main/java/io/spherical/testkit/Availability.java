package io.spherical.testkit;

import io.spherical.api.Probe;
import java.util.Collections;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;

/**
 * Whether a backend's suites may be skipped when it cannot run here. A developer without an OpenCL platform sees the
 * OpenCL suites skipped with the reason; where a backend must run, naming it in {@code SPHERICAL_REQUIRE} (or the
 * system property {@code spherical.require}), a comma-separated list such as {@code SPHERICAL_REQUIRE=opencl,nd4j},
 * turns a backend that cannot run, for example after a failed PoCL install, into a failure instead of a build that
 * stays green with its suites silently skipped. CI requires OpenCL and ND4J ({@code .ci/run}). The older
 * {@code SPHERICAL_REQUIRE_OPENCL=1} (or {@code -Dspherical.requireOpenCl=true}) still requires OpenCL.
 */
public final class Availability {
    /** Environment variable naming the backends that must run here, comma-separated (any case). */
    public static final String ENV = "SPHERICAL_REQUIRE";
    /** System property naming the backends that must run here, added to those of {@link #ENV}. */
    public static final String PROPERTY = "spherical.require";
    /** The older switch that requires OpenCL only: {@code 1} or {@code true}. */
    static final String OPENCL_ENV = "SPHERICAL_REQUIRE_OPENCL";
    /** The older system property that requires OpenCL only. */
    static final String OPENCL_PROPERTY = "spherical.requireOpenCl";

    private Availability() {
    }

    /** The names of the backends whose suites must run here (lower case), from the environment and system properties. */
    public static Set<String> required() {
        return required(System.getenv(ENV), System.getProperty(PROPERTY), System.getenv(OPENCL_ENV),
                System.getProperty(OPENCL_PROPERTY));
    }

    /**
     * The required backends from the values of {@link #ENV}, {@link #PROPERTY}, {@code SPHERICAL_REQUIRE_OPENCL} and
     * {@code spherical.requireOpenCl} (each may be null): the names of the first two, separated by commas or spaces,
     * and {@code opencl} when either older switch is {@code 1} or {@code true}.
     */
    static Set<String> required(String env, String property, String openClEnv, String openClProperty) {
        Set<String> names = new TreeSet<>();
        addNames(env, names);
        addNames(property, names);
        if (isOn(openClEnv) || isOn(openClProperty)) {
            names.add("opencl");
        }
        return Collections.unmodifiableSet(names);
    }

    private static void addNames(String list, Set<String> names) {
        if (list == null) {
            return;
        }
        for (String name : list.split("[,\\s]+")) {
            if (!name.isEmpty()) {
                names.add(name.toLowerCase(Locale.ROOT));
            }
        }
    }

    private static boolean isOn(String value) {
        return value != null && ("1".equals(value.trim()) || "true".equalsIgnoreCase(value.trim()));
    }

    /** Whether the named backend's suites must run here. */
    public static boolean isRequired(String backend) {
        return required().contains(backend.toLowerCase(Locale.ROOT));
    }

    /** Whether OpenCL suites must run here (CI). */
    public static boolean openClRequired() {
        return isRequired("opencl");
    }

    /**
     * Skips the calling test (or the whole suite, from a {@code createBackend()}) when the probe says unavailable, or
     * fails it when the backend is required here.
     */
    public static void requireOrSkip(String backend, Probe probe) {
        requireOrSkip(backend, probe, required());
    }

    /** {@link #requireOrSkip(String, Probe)} with the set of required backends given. */
    static void requireOrSkip(String backend, Probe probe, Set<String> required) {
        if (!probe.available() && required.contains(backend.toLowerCase(Locale.ROOT))) {
            throw new AssertionError(backend + " suites are required here (" + ENV + "=" + String.join(",", required)
                    + ") but cannot run: " + probe.detail());
        }
        Assumptions.assumeTrue(probe.available(), () -> backend + " suites skipped: " + probe.detail()
                + " (" + ENV + "=" + backend + " makes this a failure)");
    }
}
