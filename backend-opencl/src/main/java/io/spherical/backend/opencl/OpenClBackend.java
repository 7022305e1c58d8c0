package io.spherical.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_DEVICE_MAX_WORK_GROUP_SIZE;
import static org.jocl.CL.CL_MEM_READ_WRITE;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clBuildProgram;
import static org.jocl.CL.clCreateBuffer;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clCreateKernel;
import static org.jocl.CL.clCreateProgramWithSource;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueNDRangeKernel;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;
import static org.jocl.CL.clGetDeviceInfo;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.spi.BackendBase;
import io.spherical.api.spi.Shapes;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.jocl.CL;
import org.jocl.Pointer;
import org.jocl.Sizeof;
import org.jocl.blast.CLBlast;
import org.jocl.blast.CLBlastLayout;
import org.jocl.blast.CLBlastTranspose;
import org.jocl.cl_command_queue;
import org.jocl.cl_context;
import org.jocl.cl_context_properties;
import org.jocl.cl_device_id;
import org.jocl.cl_kernel;
import org.jocl.cl_mem;
import org.jocl.cl_program;
import org.jocl.cl_queue_properties;

/**
 * OpenCL backend: GEMM through CLBlast, everything else through the kernels of {@code kernels.cl}, compiled once per
 * context. One in-order queue; the host waits only where it reads (downloads) and for uploads (so the caller may reuse
 * its array at once). Index arrays travel through one cached device buffer that grows as needed; scatter-add is
 * deterministic (one work-item per column, rows in order).
 */
final class OpenClBackend extends BackendBase<OpenClTensor> {
    private final OpenClDevices.Device device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final int group;
    private cl_mem indexBuffer;
    private int indexCapacity;
    private cl_mem intOut;

    /** Called by a root tensor when it releases its buffer. */
    void released(OpenClTensor root, long bytes) {
        live.released(root, bytes);
    }


    private int intOutCapacity;

    OpenClBackend(OpenClDevices.Device device) {
        super("OpenCL", OpenClTensor.class);
        this.device = device;
        CL.setExceptionsEnabled(true);
        CLBlast.setExceptionsEnabled(true);
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        context = clCreateContext(props, 1, new cl_device_id[] {device.id()}, null, null, null);
        queue = clCreateCommandQueueWithProperties(context, device.id(), new cl_queue_properties(), null);
        program = clCreateProgramWithSource(context, 1, new String[] {source()}, null, null);
        clBuildProgram(program, 0, null, "-cl-std=CL1.2", null, null);
        long[] maxGroup = new long[1];
        clGetDeviceInfo(device.id(), CL_DEVICE_MAX_WORK_GROUP_SIZE, Sizeof.size_t, Pointer.to(maxGroup), null);
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

    @Override
    public String name() {
        return OpenClBackendProvider.NAME;
    }

    @Override
    public String device() {
        return device.describe();
    }

    @Override
    public Tensor zeros(int rows, int cols) {
        live.requireOpen();
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape " + rows + "x" + cols);
        }
        long n = (long) rows * cols;
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + rows + "x" + cols + " exceeds 2^31 elements");
        }
        cl_mem mem = clCreateBuffer(context, CL_MEM_READ_WRITE, Math.max(1, n) * Sizeof.cl_float, null, null);
        OpenClTensor t = new OpenClTensor(this, mem, 0, rows, cols, null);
        live.added(t, Math.max(1, n) * Sizeof.cl_float);
        if (n > 0) {
            fill(t, 0f);
        }
        return t;
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        OpenClTensor d = own(dst);
        if (src.length < d.size()) {
            throw new IllegalArgumentException("upload: " + src.length + " values into " + d.shape());
        }
        if (d.size() > 0) {
            clEnqueueWriteBuffer(queue, d.mem, CL_TRUE, (long) d.offset * Sizeof.cl_float, d.size() * Sizeof.cl_float,
                    Pointer.to(src), 0, null, null);
        }
    }

    @Override
    public void download(Tensor src, float[] dst) {
        OpenClTensor s = own(src);
        if (dst.length < s.size()) {
            throw new IllegalArgumentException("download: " + s.shape() + " into " + dst.length + " values");
        }
        if (s.size() > 0) {
            clEnqueueReadBuffer(queue, s.mem, CL_TRUE, (long) s.offset * Sizeof.cl_float, s.size() * Sizeof.cl_float,
                    Pointer.to(dst), 0, null, null);
        }
    }

    @Override
    protected void copy(OpenClTensor s, OpenClTensor d) {
        if (s.size() > 0 && s != d) {
            clEnqueueCopyBuffer(queue, s.mem, d.mem, (long) s.offset * Sizeof.cl_float, (long) d.offset * Sizeof.cl_float,
                    s.size() * Sizeof.cl_float, 0, null, null);
        }
    }

    // ---- kernel launching ---------------------------------------------------------------------------------------

    private cl_kernel kernel(String name) {
        return kernels.computeIfAbsent(name, k -> clCreateKernel(program, k, null));
    }

    /** Launches over {@code global} work-items (no local size), arguments in order. */
    private void launch(String name, long global, Object... args) {
        if (global == 0) {
            return;
        }
        cl_kernel k = setArgs(name, args);
        clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {global}, null, 0, null, null);
    }

    /** Launches one work-group per row with a local scratch array of {@code group} elements as the last argument. */
    private void launchRows(String name, int rows, Object... args) {
        if (rows == 0) {
            return;
        }
        cl_kernel k = setArgs(name, args);
        CL.clSetKernelArg(k, args.length, (long) group * Sizeof.cl_float, null);
        clEnqueueNDRangeKernel(queue, k, 1, null, new long[] {(long) rows * group}, new long[] {group}, 0, null, null);
    }

    private cl_kernel setArgs(String name, Object... args) {
        cl_kernel k = kernel(name);
        for (int i = 0; i < args.length; i++) {
            Object a = args[i];
            if (a instanceof cl_mem m) {
                CL.clSetKernelArg(k, i, Sizeof.cl_mem, Pointer.to(m));
            } else if (a instanceof Integer v) {
                CL.clSetKernelArg(k, i, Sizeof.cl_int, Pointer.to(new int[] {v}));
            } else if (a instanceof Float v) {
                CL.clSetKernelArg(k, i, Sizeof.cl_float, Pointer.to(new float[] {v}));
            } else {
                throw new IllegalArgumentException("kernel argument " + a);
            }
        }
        return k;
    }

    /** Copies host indices into the cached device index buffer. */
    private cl_mem indices(int[] idx, int count) {
        if (count > indexCapacity || indexBuffer == null) {
            if (indexBuffer != null) {
                CL.clReleaseMemObject(indexBuffer);
            }
            indexCapacity = Math.max(count, Math.max(1024, indexCapacity * 2));
            indexBuffer = clCreateBuffer(context, CL_MEM_READ_WRITE, (long) indexCapacity * Sizeof.cl_int, null, null);
        }
        if (count > 0) {
            clEnqueueWriteBuffer(queue, indexBuffer, CL_TRUE, 0, (long) count * Sizeof.cl_int, Pointer.to(idx), 0, null, null);
        }
        return indexBuffer;
    }

    private cl_mem intOutput(int count) {
        if (count > intOutCapacity || intOut == null) {
            if (intOut != null) {
                CL.clReleaseMemObject(intOut);
            }
            intOutCapacity = Math.max(count, Math.max(1024, intOutCapacity * 2));
            intOut = clCreateBuffer(context, CL_MEM_READ_WRITE, (long) intOutCapacity * Sizeof.cl_int, null, null);
        }
        return intOut;
    }

    // ---- operations -----------------------------------------------------------------------------------------------

    @Override
    protected void fill(OpenClTensor a, float value) {
        launch("fill", a.size(), a.mem, a.offset, (int) a.size(), value);
    }

    @Override
    protected void gemm(float alpha, OpenClTensor ta, boolean transA, OpenClTensor tb, boolean transB, float beta, OpenClTensor tc,
                        int[] mnk) {
        if (beta == 0f) {
            fill(tc, 0f); // BLAS may scale the old C by 0, and 0 * NaN is NaN
        }
        CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor,
                transA ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                transB ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                mnk[0], mnk[1], mnk[2], alpha, ta.mem, ta.offset, ta.cols(), tb.mem, tb.offset, tb.cols(), beta,
                tc.mem, tc.offset, tc.cols(), queue, null);
    }

    @Override
    protected void axpy(float alpha, OpenClTensor tx, OpenClTensor ty) {
        launch("axpy", tx.size(), tx.mem, tx.offset, ty.mem, ty.offset, (int) tx.size(), alpha);
    }

    @Override
    protected void scale(float alpha, OpenClTensor a) {
        launch("scale", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    protected void addScalar(float alpha, OpenClTensor a) {
        launch("add_scalar", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    protected void map(UnaryOp f, OpenClTensor tx, OpenClTensor to) {
        launch("map", tx.size(), tx.mem, tx.offset, to.mem, to.offset, (int) tx.size(), f.ordinal());
    }

    @Override
    protected void mapBackward(UnaryOp f, OpenClTensor ty, OpenClTensor tg, OpenClTensor to) {
        launch("map_backward", ty.size(), ty.mem, ty.offset, tg.mem, tg.offset, to.mem, to.offset, (int) ty.size(),
                f.ordinal());
    }

    @Override
    protected void mul(OpenClTensor ta, OpenClTensor tb, OpenClTensor to) {
        launch("mul", ta.size(), ta.mem, ta.offset, tb.mem, tb.offset, to.mem, to.offset, (int) ta.size());
    }

    @Override
    protected void scaleRows(OpenClTensor tx, OpenClTensor tv, OpenClTensor to) {
        launch("scale_rows", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void scaleColumns(OpenClTensor tx, OpenClTensor tv, OpenClTensor to) {
        launch("scale_cols", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void addRowVector(float alpha, OpenClTensor tv, OpenClTensor tx) {
        launch("add_row_vector", tx.size(), tv.mem, tv.offset, tx.mem, tx.offset, tx.rows(), tx.cols(), alpha);
    }

    @Override
    protected void reduceRows(Reduction r, OpenClTensor tx, OpenClTensor to) {
        launchRows("reduce_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    protected void reduceColumns(Reduction r, OpenClTensor tx, OpenClTensor to) {
        launch("reduce_cols", tx.cols(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    protected void rowDot(OpenClTensor ta, OpenClTensor tb, OpenClTensor to) {
        launchRows("row_dot", ta.rows(), ta.mem, ta.offset, tb.mem, tb.offset, ta.rows(), ta.cols(), to.mem, to.offset);
    }

    @Override
    protected void gatherRows(OpenClTensor ts, int[] idx, OpenClTensor to) {
        cl_mem ix = indices(idx, idx.length);
        launch("gather_rows", to.size(), ts.mem, ts.offset, ix, to.mem, to.offset, idx.length, ts.cols());
    }

    @Override
    protected void scatterAddRows(float alpha, OpenClTensor ts, int[] idx, OpenClTensor td) {
        if (idx.length == 0) {
            return;
        }
        cl_mem ix = indices(idx, idx.length);
        launch("scatter_add_rows", td.cols(), ts.mem, ts.offset, ix, idx.length, td.mem, td.offset, td.cols(), alpha);
    }

    @Override
    protected void gatherElements(OpenClTensor tx, int[] cols, OpenClTensor to) {
        cl_mem ix = indices(cols, tx.rows());
        launch("gather_elements", tx.rows(), tx.mem, tx.offset, ix, tx.rows(), tx.cols(), to.mem, to.offset);
    }

    @Override
    protected void addToElements(float alpha, OpenClTensor tv, int[] cols, OpenClTensor tx) {
        cl_mem ix = indices(cols, tx.rows());
        launch("add_to_elements", tx.rows(), tx.mem, tx.offset, tv.mem, tv.offset, ix, tx.rows(), tx.cols(), alpha);
    }

    @Override
    protected void copyColumns(OpenClTensor ts, int srcCol, OpenClTensor td, int dstCol, int count) {
        launch("copy_columns", (long) ts.rows() * count, ts.mem, ts.offset, ts.cols(), srcCol, td.mem, td.offset,
                td.cols(), dstCol, ts.rows(), count);
    }

    @Override
    protected void logSoftmaxRows(OpenClTensor tx, OpenClTensor to) {
        launchRows("log_softmax_rows", tx.rows(), tx.mem, tx.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void segmentedLogSoftmax(OpenClTensor tx, int[] starts, OpenClTensor tf, OpenClTensor to) {
        cl_mem ix = indices(starts, starts.length);
        launch("segmented_log_softmax", (long) tx.rows() * starts.length, tx.mem, tx.offset, to.mem, to.offset,
                tf.mem, tf.offset, ix, starts.length, tx.rows(), tx.cols());
    }

    @Override
    protected void topKRows(OpenClTensor tx, int k, int[] out) {
        int n = k * tx.rows();
        if (n == 0) {
            return;
        }
        cl_mem o = intOutput(n);
        launch("topk_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), k, o);
        clEnqueueReadBuffer(queue, o, CL_TRUE, 0, (long) n * Sizeof.cl_int, Pointer.to(out), 0, null, null);
    }

    @Override
    protected void targetRanks(OpenClTensor tx, int[] targets, int[] ranks) {
        if (tx.rows() == 0) {
            return;
        }
        cl_mem ix = indices(targets, tx.rows());
        cl_mem o = intOutput(tx.rows());
        launchRows("target_ranks", tx.rows(), tx.mem, tx.offset, ix, tx.rows(), tx.cols(), o);
        clEnqueueReadBuffer(queue, o, CL_TRUE, 0, (long) tx.rows() * Sizeof.cl_int, Pointer.to(ranks), 0, null, null);
    }

    @Override
    public void synchronize() {
        clFinish(queue);
    }

    @Override
    public void close() {
        if (live.closed()) {
            return;
        }
        clFinish(queue);
        live.closeAll();                       // every tensor still open releases its buffer first
        kernels.values().forEach(CL::clReleaseKernel);
        kernels.clear();
        if (indexBuffer != null) {
            CL.clReleaseMemObject(indexBuffer);
        }
        if (intOut != null) {
            CL.clReleaseMemObject(intOut);
        }
        CL.clReleaseProgram(program);
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }
}
