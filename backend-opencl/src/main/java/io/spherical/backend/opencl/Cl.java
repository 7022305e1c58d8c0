package io.spherical.backend.opencl;

import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_PROGRAM_BUILD_LOG;

import java.nio.charset.StandardCharsets;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.jocl.blast.CLBlastStatusCode;

/**
 * Status checks for OpenCL and CLBlast calls. The backend reads every call's status code itself instead of switching
 * on JOCL's or JOCLBlast's exception mode, which is a process-wide setting that other OpenCL code in the same JVM may
 * rely on being off.
 */
final class Cl {
    private Cl() {
    }

    /** Throws when an OpenCL call did not succeed. */
    static void ok(int status, String call) {
        if (status != CL.CL_SUCCESS) {
            throw new IllegalStateException("OpenCL " + call + " failed: " + CL.stringFor_errorCode(status));
        }
    }

    /** The object an OpenCL create call returned, once its error code says it succeeded. */
    static <T> T made(T object, int[] status, String call) {
        ok(status[0], call);
        return object;
    }

    /** Throws when a CLBlast call did not succeed. */
    static void blas(int status, String call) {
        if (status != CLBlastStatusCode.CLBlastSuccess) {
            throw new IllegalStateException("CLBlast " + call + " failed: " + CLBlastStatusCode.stringFor(status));
        }
    }

    /** A new read-write device buffer of {@code bytes} bytes. */
    static cl_mem buffer(cl_context context, long bytes) {
        int[] status = new int[1];
        return made(CL.clCreateBuffer(context, CL_MEM_READ_WRITE, bytes, null, status), status, "clCreateBuffer");
    }

    /** Throws with the compiler's log when building the kernels did not succeed. */
    static void built(int status, cl_program program, cl_device_id device) {
        if (status != CL.CL_SUCCESS) {
            long[] size = new long[1];
            CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, 0, null, size);
            byte[] log = new byte[(int) Math.max(1, size[0])];
            CL.clGetProgramBuildInfo(program, device, CL_PROGRAM_BUILD_LOG, log.length, Pointer.to(log), null);
            throw new IllegalStateException("OpenCL clBuildProgram failed: " + CL.stringFor_errorCode(status) + "\n"
                    + new String(log, StandardCharsets.UTF_8).strip());
        }
    }
}
