package io.spherical.backend.opencl;

import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clGetDeviceInfo;

import io.spherical.api.Reduction;
import io.spherical.api.UnaryOp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;

/**
 * The compiled {@code kernels.cl} of one context and how its kernels are launched: arguments set in order, one
 * work-item per element or one work-group per row, host index arrays through one cached device buffer that grows as
 * needed, integer results through another.
 */
final class Kernels implements AutoCloseable {
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final int group;
    private cl_mem indexBuffer;
    private int indexCapacity;
    private cl_mem intOut;
    private int intOutCapacity;

    Kernels(cl_context context, cl_command_queue queue, cl_device_id device) {
        this.context = context;
        this.queue = queue;
        int[] status = new int[1];
        program = Cl.made(clCreateProgramWithSource(context, 1, new String[] {source()}, null, status), status,
                "clCreateProgramWithSource");
        Cl.built(clBuildProgram(program, 0, null, "-cl-std=CL1.2", null, null), program, device);
        long[] maxGroup = new long[1];
        Cl.ok(clGetDeviceInfo(device, CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(maxGroup), null),
                "clGetDeviceInfo");
        int g = 1;
        while (g * 2 <= Math.min(256, maxGroup[0])) {
            g *= 2;
        }
        group = g;
    }

    /** kernels.cl preceded by the operation codes, generated from the Java enums so that they cannot disagree. */
    static String source() {
        StringBuilder defines = new StringBuilder();
        for (UnaryOp op : UnaryOp.values()) {
            defines.append("#define OP_").append(op.name()).append(' ').append(op.ordinal()).append('\n');
        }
        for (Reduction r : Reduction.values()) {
            defines.append("#define RED_").append(r.name()).append(' ').append(r.ordinal()).append('\n');
        }
        try (InputStream in = OpenClBackend.class.getResourceAsStream("kernels.cl")) {
            if (in == null) {
                throw new IllegalStateException("kernels.cl missing from the backend-opencl jar");
            }
            return defines + new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private cl_kernel kernel(String name) {
        return kernels.computeIfAbsent(name, k -> {
            int[] status = new int[1];
            return Cl.made(clCreateKernel(program, k, status), status, "clCreateKernel " + k);
        });
    }

    /** Launches over {@code global} work-items (no local size), arguments in order. */
    void launch(String name, long global, Object... args) {
        if (global == 0) {
            return;
        }
        cl_kernel k = setArgs(name, args);
        Cl.ok(clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {global}, null, 0, null, null), name);
    }

    /** Launches one work-group per row with a local scratch array of {@code group} elements as the last argument. */
    void launchRows(String name, int rows, Object... args) {
        if (rows == 0) {
            return;
        }
        cl_kernel k = setArgs(name, args);
        Cl.ok(CL.clSetKernelArg(k, args.length, (long) group * Sizeof.cl_float, null), name);
        Cl.ok(clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {(long) rows * group}, new long[] {group}, 0, null,
                null), name);
    }

    private cl_kernel setArgs(String name, Object... args) {
        cl_kernel k = kernel(name);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            int status;
            if (a instanceof cl_mem m) {
                status = CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
            } else if (a instanceof Integer v) {
                status = CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
            } else if (a instanceof Float v) {
                status = CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
            } else {
                throw new IllegalArgumentException("kernel argument " + a);
            }
            Cl.ok(status, name);
        }
        return k;
    }

    /** Copies host indices into the cached device index buffer. */
    cl_mem indices(int[] idx, int count) {
        if (count > indexCapacity || indexBuffer == null) {
            if (indexBuffer != null) {
                CL.clReleaseMemObject(indexBuffer);
            }
            indexCapacity = Math.max(count, Math.max(1024, indexCapacity * 2));
            indexBuffer = Cl.buffer(context, (long) indexCapacity * Sizeof.cl_int);
        }
        if (count > 0) {
            Cl.ok(clEnqueueWriteBuffer(queue, indexBuffer, CL_TRUE, 0, (long) count * Sizeof.cl_int, Pointer.to(idx), 0,
                    null, null), "clEnqueueWriteBuffer");
        }
        return indexBuffer;
    }

    cl_mem intOutput(int count) {
        if (count > intOutCapacity || intOut == null) {
            if (intOut != null) {
                CL.clReleaseMemObject(intOut);
            }
            intOutCapacity = Math.max(count, Math.max(1024, intOutCapacity * 2));
            intOut = Cl.buffer(context, (long) intOutCapacity * Sizeof.cl_int);
        }
        return intOut;
    }

    /** Reads the first {@code n} integers of a device buffer into {@code out} (waits for the queue). */
    void read(cl_mem buffer, int[] out, int n) {
        Cl.ok(clEnqueueReadBuffer(queue, buffer, CL_TRUE, 0, (long) n * Sizeof.cl_int, Pointer.to(out), 0, null, null),
                "clEnqueueReadBuffer");
    }

    @Override
    public void close() {
        kernels.values().forEach(CL::clReleaseKernel);
        kernels.clear();
        if (indexBuffer != null) {
            CL.clReleaseMemObject(indexBuffer);
        }
        if (intOut != null) {
            CL.clReleaseMemObject(intOut);
        }
        CL.clReleaseProgram(program);
    }
}
