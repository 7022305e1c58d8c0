package io.spherical.backend.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.spherical.api.Backend;
import org.jocl.CL;
import org.jocl.cl_platform_id;
import org.junit.jupiter.api.Test;

/**
 * Library code changes no process-wide setting: probing, creating, using and closing the backend leaves JOCL's
 * exception mode off, so other OpenCL code in the same JVM still gets status codes back.
 */
class NoSideEffectsTest {
    @Test
    void theBackendLeavesJoclsExceptionModeAlone() {
        try (Backend b = OpenClSuites.create()) {
            try (var t = b.fromHost(new float[] {1, 2, 3, 4}, 2, 2); var out = b.zeros(2, 2)) {
                b.gemm(1f, t, false, t, false, 0f, out);
                assertEquals(7f, b.toHost(out)[0]);
            }
        }
        // an invalid query: with exceptions switched on, JOCL would throw CLException here instead of returning
        cl_platform_id[] platform = new cl_platform_id[1];
        assertEquals(CL.CL_SUCCESS, CL.clGetPlatformIDs(1, platform, null));
        assertEquals(CL.CL_INVALID_VALUE, CL.clGetPlatformInfo(platform[0], 0x7fff, 0, null, new long[1]));
    }
}
