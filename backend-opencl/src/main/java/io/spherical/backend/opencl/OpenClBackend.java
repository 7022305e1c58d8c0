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
import io.spherical.api.spi.LiveTensors;
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
final class OpenClBackend implements Backend {
    private final OpenClDevices.Device device;
    private final cl_context context;
    private final cl_command_queue queue;
    private final cl_program program;
    private final Map<String, cl_kernel> kernels = new HashMap<>();
    private final int group;
    private cl_mem indexBuffer;
    private int indexCapacity;
    private cl_mem intOut;
    private final LiveTensors live = new LiveTensors("OpenCL");

    /** Called by a root tensor when it releases its buffer. */
    void released(OpenClTensor root, long bytes) {
        live.released(root, bytes);
    }

    @Override
    public long allocatedBytes() {
        return live.bytes();
    }
    private int intOutCapacity;

    OpenClBackend(OpenClDevices.Device device) {
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

    private OpenClTensor t(Tensor x) {
        if (!(x instanceof OpenClTensor o) || o.backend != this) {
            throw new IllegalArgumentException("tensor " + x + " does not belong to this OpenCL backend");
        }
        o.checkOpen();
        live.requireOpen();
        return o;
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
        OpenClTensor d = t(dst);
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
        OpenClTensor s = t(src);
        if (dst.length < s.size()) {
            throw new IllegalArgumentException("download: " + s.shape() + " into " + dst.length + " values");
        }
        if (s.size() > 0) {
            clEnqueueReadBuffer(queue, s.mem, CL_TRUE, (long) s.offset * Sizeof.cl_float, s.size() * Sizeof.cl_float,
                    Pointer.to(dst), 0, null, null);
        }
    }

    @Override
    public void copy(Tensor src, Tensor dst) {
        OpenClTensor s = t(src);
        OpenClTensor d = t(dst);
        Shapes.same(s, d, "copy");
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
    public void fill(Tensor x, float value) {
        OpenClTensor a = t(x);
        launch("fill", a.size(), a.mem, a.offset, (int) a.size(), value);
    }

    @Override
    public void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        OpenClTensor ta = t(a);
        OpenClTensor tb = t(b);
        OpenClTensor tc = t(c);
        int[] mnk = Shapes.gemm(ta, transA, tb, transB, tc);
        if (Shapes.trivialGemm(this, mnk, alpha, beta, tc)) {
            return;
        }
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
    public void axpy(float alpha, Tensor x, Tensor y) {
        OpenClTensor tx = t(x);
        OpenClTensor ty = t(y);
        Shapes.same(tx, ty, "axpy");
        launch("axpy", tx.size(), tx.mem, tx.offset, ty.mem, ty.offset, (int) tx.size(), alpha);
    }

    @Override
    public void scale(float alpha, Tensor x) {
        OpenClTensor a = t(x);
        launch("scale", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    public void addScalar(float alpha, Tensor x) {
        OpenClTensor a = t(x);
        launch("add_scalar", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    public void map(UnaryOp f, Tensor x, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        Shapes.same(tx, to, "map");
        launch("map", tx.size(), tx.mem, tx.offset, to.mem, to.offset, (int) tx.size(), f.ordinal());
    }

    @Override
    public void mapBackward(UnaryOp f, Tensor y, Tensor grad, Tensor out) {
        if (!f.hasBackward()) {
            throw new IllegalArgumentException(f + " has no output-form derivative");
        }
        OpenClTensor ty = t(y);
        OpenClTensor tg = t(grad);
        OpenClTensor to = t(out);
        Shapes.same(ty, tg, "mapBackward");
        Shapes.same(ty, to, "mapBackward");
        launch("map_backward", ty.size(), ty.mem, ty.offset, tg.mem, tg.offset, to.mem, to.offset, (int) ty.size(),
                f.ordinal());
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        OpenClTensor ta = t(a);
        OpenClTensor tb = t(b);
        OpenClTensor to = t(out);
        Shapes.same(ta, tb, "mul");
        Shapes.same(ta, to, "mul");
        launch("mul", ta.size(), ta.mem, ta.offset, tb.mem, tb.offset, to.mem, to.offset, (int) ta.size());
    }

    @Override
    public void scaleRows(Tensor x, Tensor v, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor tv = t(v);
        OpenClTensor to = t(out);
        Shapes.length(tv, tx.rows(), "scaleRows vector");
        Shapes.same(tx, to, "scaleRows");
        launch("scale_rows", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    public void scaleColumns(Tensor x, Tensor v, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor tv = t(v);
        OpenClTensor to = t(out);
        Shapes.length(tv, tx.cols(), "scaleColumns vector");
        Shapes.same(tx, to, "scaleColumns");
        launch("scale_cols", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    public void addRowVector(float alpha, Tensor v, Tensor x) {
        OpenClTensor tx = t(x);
        OpenClTensor tv = t(v);
        Shapes.length(tv, tx.cols(), "addRowVector vector");
        launch("add_row_vector", tx.size(), tv.mem, tv.offset, tx.mem, tx.offset, tx.rows(), tx.cols(), alpha);
    }

    @Override
    public void reduceRows(Reduction r, Tensor x, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        Shapes.length(to, tx.rows(), "reduceRows output");
        launchRows("reduce_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    public void reduceColumns(Reduction r, Tensor x, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        Shapes.length(to, tx.cols(), "reduceColumns output");
        launch("reduce_cols", tx.cols(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    public void rowDot(Tensor a, Tensor b, Tensor out) {
        OpenClTensor ta = t(a);
        OpenClTensor tb = t(b);
        OpenClTensor to = t(out);
        Shapes.same(ta, tb, "rowDot");
        Shapes.length(to, ta.rows(), "rowDot output");
        launchRows("row_dot", ta.rows(), ta.mem, ta.offset, tb.mem, tb.offset, ta.rows(), ta.cols(), to.mem, to.offset);
    }

    @Override
    public void gatherRows(Tensor src, int[] idx, Tensor out) {
        OpenClTensor ts = t(src);
        OpenClTensor to = t(out);
        Shapes.require(to, idx.length, ts.cols(), "gatherRows output");
        Shapes.indices(idx, idx.length, ts.rows(), "gatherRows");
        cl_mem ix = indices(idx, idx.length);
        launch("gather_rows", to.size(), ts.mem, ts.offset, ix, to.mem, to.offset, idx.length, ts.cols());
    }

    @Override
    public void scatterAddRows(float alpha, Tensor src, int[] idx, Tensor dst) {
        OpenClTensor ts = t(src);
        OpenClTensor td = t(dst);
        Shapes.require(ts, idx.length, td.cols(), "scatterAddRows source");
        Shapes.indices(idx, idx.length, td.rows(), "scatterAddRows");
        if (idx.length == 0) {
            return;
        }
        cl_mem ix = indices(idx, idx.length);
        launch("scatter_add_rows", td.cols(), ts.mem, ts.offset, ix, idx.length, td.mem, td.offset, td.cols(), alpha);
    }

    @Override
    public void gatherElements(Tensor x, int[] cols, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        Shapes.length(to, tx.rows(), "gatherElements output");
        Shapes.indices(cols, tx.rows(), tx.cols(), "gatherElements");
        cl_mem ix = indices(cols, tx.rows());
        launch("gather_elements", tx.rows(), tx.mem, tx.offset, ix, tx.rows(), tx.cols(), to.mem, to.offset);
    }

    @Override
    public void addToElements(float alpha, Tensor values, int[] cols, Tensor x) {
        OpenClTensor tx = t(x);
        OpenClTensor tv = t(values);
        Shapes.length(tv, tx.rows(), "addToElements values");
        Shapes.indices(cols, tx.rows(), tx.cols(), "addToElements");
        cl_mem ix = indices(cols, tx.rows());
        launch("add_to_elements", tx.rows(), tx.mem, tx.offset, tv.mem, tv.offset, ix, tx.rows(), tx.cols(), alpha);
    }

    @Override
    public void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int count) {
        OpenClTensor ts = t(src);
        OpenClTensor td = t(dst);
        Shapes.columns(ts, srcCol, td, dstCol, count);
        launch("copy_columns", (long) ts.rows() * count, ts.mem, ts.offset, ts.cols(), srcCol, td.mem, td.offset,
                td.cols(), dstCol, ts.rows(), count);
    }

    @Override
    public void logSoftmaxRows(Tensor x, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        Shapes.same(tx, to, "logSoftmaxRows");
        launchRows("log_softmax_rows", tx.rows(), tx.mem, tx.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    public void segmentedLogSoftmax(Tensor x, int[] starts, Tensor offsets, Tensor out) {
        OpenClTensor tx = t(x);
        OpenClTensor to = t(out);
        OpenClTensor tf = t(offsets);
        Shapes.same(tx, to, "segmentedLogSoftmax");
        Shapes.require(tf, tx.rows(), starts.length, "segmentedLogSoftmax offsets");
        Shapes.segments(starts, tx.cols());
        cl_mem ix = indices(starts, starts.length);
        launch("segmented_log_softmax", (long) tx.rows() * starts.length, tx.mem, tx.offset, to.mem, to.offset,
                tf.mem, tf.offset, ix, starts.length, tx.rows(), tx.cols());
    }

    @Override
    public void topKRows(Tensor x, int k, int[] out) {
        OpenClTensor tx = t(x);
        Shapes.topK(tx, k, out);
        int n = k * tx.rows();
        if (n == 0) {
            return;
        }
        cl_mem o = intOutput(n);
        launch("topk_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), k, o);
        clEnqueueReadBuffer(queue, o, CL_TRUE, 0, (long) n * Sizeof.cl_int, Pointer.to(out), 0, null, null);
    }

    @Override
    public void targetRanks(Tensor x, int[] targets, int[] ranks) {
        OpenClTensor tx = t(x);
        Shapes.ranks(tx, targets, ranks);
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
