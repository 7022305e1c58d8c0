package io.spherical.backend.opencl;

import static org.jocl.CL.CL_CONTEXT_PLATFORM;
import static org.jocl.CL.CL_TRUE;
import static org.jocl.CL.clCreateCommandQueueWithProperties;
import static org.jocl.CL.clCreateContext;
import static org.jocl.CL.clEnqueueCopyBuffer;
import static org.jocl.CL.clEnqueueReadBuffer;
import static org.jocl.CL.clEnqueueWriteBuffer;
import static org.jocl.CL.clFinish;

import io.spherical.api.Reduction;
import io.spherical.api.spi.BackendBase;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
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
import org.jocl.cl_mem;
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
    private final Kernels kernels;

    /** Called by a root tensor when it releases its buffer. */
    void released(OpenClTensor root, long bytes) {
        live.released(root, bytes);
    }

    OpenClBackend(OpenClDevices.Device device) {
        super("OpenCL", OpenClTensor.class);
        this.device = device;
        cl_context_properties props = new cl_context_properties();
        props.addProperty(CL_CONTEXT_PLATFORM, device.platform());
        int[] status = new int[1];
        context = Cl.made(clCreateContext(props, 1, new cl_device_id[] {device.id()}, null, null, status), status,
                "clCreateContext");
        queue = Cl.made(clCreateCommandQueueWithProperties(context, device.id(), new cl_queue_properties(), status),
                status, "clCreateCommandQueueWithProperties");
        kernels = new Kernels(context, queue, device.id());
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
        cl_mem mem = Cl.buffer(context, Math.max(1, n) * Sizeof.cl_float);
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
            Cl.ok(clEnqueueWriteBuffer(queue, d.mem, CL_TRUE, (long) d.offset * Sizeof.cl_float,
                    d.size() * Sizeof.cl_float, Pointer.to(src), 0, null, null), "clEnqueueWriteBuffer");
        }
    }

    @Override
    public void download(Tensor src, float[] dst) {
        OpenClTensor s = own(src);
        if (dst.length < s.size()) {
            throw new IllegalArgumentException("download: " + s.shape() + " into " + dst.length + " values");
        }
        if (s.size() > 0) {
            Cl.ok(clEnqueueReadBuffer(queue, s.mem, CL_TRUE, (long) s.offset * Sizeof.cl_float,
                    s.size() * Sizeof.cl_float, Pointer.to(dst), 0, null, null), "clEnqueueReadBuffer");
        }
    }

    @Override
    protected void copy(OpenClTensor s, OpenClTensor d) {
        if (s.size() > 0 && s != d) {
            Cl.ok(clEnqueueCopyBuffer(queue, s.mem, d.mem, (long) s.offset * Sizeof.cl_float,
                    (long) d.offset * Sizeof.cl_float, s.size() * Sizeof.cl_float, 0, null, null), "clEnqueueCopyBuffer");
        }
    }

    // ---- operations -----------------------------------------------------------------------------------------------

    @Override
    protected void fill(OpenClTensor a, float value) {
        kernels.launch("fill", a.size(), a.mem, a.offset, (int) a.size(), value);
    }

    @Override
    protected void gemm(float alpha, OpenClTensor ta, boolean transA, OpenClTensor tb, boolean transB, float beta, OpenClTensor tc,
                        int[] mnk) {
        if (beta == 0f) {
            fill(tc, 0f); // BLAS may scale the old C by 0, and 0 * NaN is NaN
        }
        Cl.blas(CLBlast.CLBlastSgemm(CLBlastLayout.CLBlastLayoutRowMajor,
                transA ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                transB ? CLBlastTranspose.CLBlastTransposeYes : CLBlastTranspose.CLBlastTransposeNo,
                mnk[0], mnk[1], mnk[2], alpha, ta.mem, ta.offset, ta.cols(), tb.mem, tb.offset, tb.cols(), beta,
                tc.mem, tc.offset, tc.cols(), queue, null), "CLBlastSgemm");
    }

    @Override
    protected void axpy(float alpha, OpenClTensor tx, OpenClTensor ty) {
        kernels.launch("axpy", tx.size(), tx.mem, tx.offset, ty.mem, ty.offset, (int) tx.size(), alpha);
    }

    @Override
    protected void scale(float alpha, OpenClTensor a) {
        kernels.launch("scale", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    protected void addScalar(float alpha, OpenClTensor a) {
        kernels.launch("add_scalar", a.size(), a.mem, a.offset, (int) a.size(), alpha);
    }

    @Override
    protected void map(UnaryOp f, OpenClTensor tx, OpenClTensor to) {
        kernels.launch("map", tx.size(), tx.mem, tx.offset, to.mem, to.offset, (int) tx.size(), f.ordinal());
    }

    @Override
    protected void mapBackward(UnaryOp f, OpenClTensor ty, OpenClTensor tg, OpenClTensor to) {
        kernels.launch("map_backward", ty.size(), ty.mem, ty.offset, tg.mem, tg.offset, to.mem, to.offset, (int) ty.size(),
                f.ordinal());
    }

    @Override
    protected void mul(OpenClTensor ta, OpenClTensor tb, OpenClTensor to) {
        kernels.launch("mul", ta.size(), ta.mem, ta.offset, tb.mem, tb.offset, to.mem, to.offset, (int) ta.size());
    }

    @Override
    protected void scaleRows(OpenClTensor tx, OpenClTensor tv, OpenClTensor to) {
        kernels.launch("scale_rows", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void scaleColumns(OpenClTensor tx, OpenClTensor tv, OpenClTensor to) {
        kernels.launch("scale_cols", tx.size(), tx.mem, tx.offset, tv.mem, tv.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void addRowVector(float alpha, OpenClTensor tv, OpenClTensor tx) {
        kernels.launch("add_row_vector", tx.size(), tv.mem, tv.offset, tx.mem, tx.offset, tx.rows(), tx.cols(), alpha);
    }

    @Override
    protected void reduceRows(Reduction r, OpenClTensor tx, OpenClTensor to) {
        kernels.launchRows("reduce_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    protected void reduceColumns(Reduction r, OpenClTensor tx, OpenClTensor to) {
        kernels.launch("reduce_cols", tx.cols(), tx.mem, tx.offset, tx.rows(), tx.cols(), to.mem, to.offset, r.ordinal());
    }

    @Override
    protected void rowDot(OpenClTensor ta, OpenClTensor tb, OpenClTensor to) {
        kernels.launchRows("row_dot", ta.rows(), ta.mem, ta.offset, tb.mem, tb.offset, ta.rows(), ta.cols(), to.mem, to.offset);
    }

    @Override
    protected void gatherRows(OpenClTensor ts, int[] idx, OpenClTensor to) {
        cl_mem ix = kernels.indices(idx, idx.length);
        kernels.launch("gather_rows", to.size(), ts.mem, ts.offset, ix, to.mem, to.offset, idx.length, ts.cols());
    }

    @Override
    protected void scatterAddRows(float alpha, OpenClTensor ts, int[] idx, OpenClTensor td) {
        if (idx.length == 0) {
            return;
        }
        cl_mem ix = kernels.indices(idx, idx.length);
        kernels.launch("scatter_add_rows", td.cols(), ts.mem, ts.offset, ix, idx.length, td.mem, td.offset, td.cols(), alpha);
    }

    @Override
    protected void gatherElements(OpenClTensor tx, int[] cols, OpenClTensor to) {
        cl_mem ix = kernels.indices(cols, tx.rows());
        kernels.launch("gather_elements", tx.rows(), tx.mem, tx.offset, ix, tx.rows(), tx.cols(), to.mem, to.offset);
    }

    @Override
    protected void addToElements(float alpha, OpenClTensor tv, int[] cols, OpenClTensor tx) {
        cl_mem ix = kernels.indices(cols, tx.rows());
        kernels.launch("add_to_elements", tx.rows(), tx.mem, tx.offset, tv.mem, tv.offset, ix, tx.rows(), tx.cols(), alpha);
    }

    @Override
    protected void copyColumns(OpenClTensor ts, int srcCol, OpenClTensor td, int dstCol, int count) {
        kernels.launch("copy_columns", (long) ts.rows() * count, ts.mem, ts.offset, ts.cols(), srcCol, td.mem, td.offset,
                td.cols(), dstCol, ts.rows(), count);
    }

    @Override
    protected void logSoftmaxRows(OpenClTensor tx, OpenClTensor to) {
        kernels.launchRows("log_softmax_rows", tx.rows(), tx.mem, tx.offset, to.mem, to.offset, tx.rows(), tx.cols());
    }

    @Override
    protected void segmentedLogSoftmax(OpenClTensor tx, int[] starts, OpenClTensor tf, OpenClTensor to) {
        cl_mem ix = kernels.indices(starts, starts.length);
        kernels.launch("segmented_log_softmax", (long) tx.rows() * starts.length, tx.mem, tx.offset, to.mem, to.offset,
                tf.mem, tf.offset, ix, starts.length, tx.rows(), tx.cols());
    }

    @Override
    protected void topKRows(OpenClTensor tx, int k, int[] out) {
        int n = k * tx.rows();
        if (n == 0) {
            return;
        }
        cl_mem o = kernels.intOutput(n);
        kernels.launch("topk_rows", tx.rows(), tx.mem, tx.offset, tx.rows(), tx.cols(), k, o);
        kernels.read(o, out, n);
    }

    @Override
    protected void targetRanks(OpenClTensor tx, int[] targets, int[] ranks) {
        if (tx.rows() == 0) {
            return;
        }
        cl_mem ix = kernels.indices(targets, tx.rows());
        cl_mem o = kernels.intOutput(tx.rows());
        kernels.launchRows("target_ranks", tx.rows(), tx.mem, tx.offset, ix, tx.rows(), tx.cols(), o);
        kernels.read(o, ranks, tx.rows());
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
        kernels.close();
        CL.clReleaseCommandQueue(queue);
        CL.clReleaseContext(context);
    }
}
