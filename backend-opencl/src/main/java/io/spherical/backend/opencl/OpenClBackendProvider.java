package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.api.BackendProvider;
import io.spherical.api.Probe;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Provider of the OpenCL backend. Priority 100 when the chosen device is a GPU, 10 otherwise (so ND4J wins on CPUs).
 *
 * <p>Probing first looks for an OpenCL ICD loader on disk without loading anything; only when one exists does it load
 * JOCL's native library to list the devices (a missing or broken library surfaces as an error caught here, not a crash).
 * The result is computed once.
 */
public final class OpenClBackendProvider implements BackendProvider {
    /** The name used to force this backend. */
    public static final String NAME = "opencl";
    private static final List<String> LOADER_PATHS = List.of("/usr/lib/x86_64-linux-gnu/libOpenCL.so.1",
            "/usr/lib64/libOpenCL.so.1", "/usr/lib/libOpenCL.so.1", "/usr/local/lib/libOpenCL.so.1",
            "/usr/local/cuda/lib64/libOpenCL.so.1", "/usr/local/nvidia/lib64/libOpenCL.so.1",
            "/usr/lib/aarch64-linux-gnu/libOpenCL.so.1");

    private Probe probe;
    private OpenClDevices.Device device;

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int priority() {
        probe();
        return device != null && device.gpu() ? 100 : 10;
    }

    @Override
    public synchronized Probe probe() {
        if (probe == null) {
            probe = doProbe();
        }
        return probe;
    }

    private Probe doProbe() {
        if (!loaderPresent()) {
            return Probe.unavailable("no OpenCL ICD loader (libOpenCL.so.1) found; install one, e.g. Debian packages "
                    + "ocl-icd-libopencl1 plus a driver such as pocl-opencl-icd or the GPU vendor's");
        }
        try {
            List<OpenClDevices.Device> devices = OpenClDevices.list();
            if (devices.isEmpty()) {
                return Probe.unavailable("the OpenCL loader found no platform with a device (install a driver, e.g. "
                        + "pocl-opencl-icd for CPUs)");
            }
            device = OpenClDevices.choose(devices);
            if (device == null) {
                return Probe.unavailable("no OpenCL device matches -D" + OpenClDevices.PROPERTY + "="
                        + System.getProperty(OpenClDevices.PROPERTY) + " (devices: "
                        + devices.stream().map(d -> d.index() + ": " + d.name()).toList() + ")");
            }
            return Probe.available(device.describe());
        } catch (RuntimeException | LinkageError e) {
            return Probe.unavailable("OpenCL could not be initialised: " + e);
        }
    }

    private static boolean loaderPresent() {
        String override = System.getenv("OCL_ICD_LIBRARY");
        if (override != null && Files.exists(Path.of(override))) {
            return true;
        }
        String ld = System.getenv("LD_LIBRARY_PATH");
        if (ld != null) {
            for (String dir : ld.split(":")) {
                if (!dir.isBlank() && Files.exists(Path.of(dir, "libOpenCL.so.1"))) {
                    return true;
                }
            }
        }
        return LOADER_PATHS.stream().anyMatch(p -> Files.exists(Path.of(p)));
    }

    @Override
    public Backend create() {
        Probe p = probe();
        if (!p.available()) {
            throw new io.spherical.api.NoBackendException("Backend 'opencl' is not available: " + p.detail());
        }
        return new OpenClBackend(device);
    }
}
