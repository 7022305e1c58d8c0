package com.example.reference;

import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import io.spherical.api.spi.BackendBase;
import java.util.Arrays;

/**
 * A compute backend in plain Java loops over {@code float[]} storage: no native code, one thread, every sum in double.
 * It is the smallest complete implementation of the SPI, written as a backend author would start one:
 * {@link BackendBase} checks ownership, lifetime and shapes of every operation and keeps the live tensors; what is left
 * here is creation, transfer, and one plain loop per operation on {@link ReferenceTensor}s. {@code solve} is the
 * api's host fallback (LU in double). Correct, not fast: use it to check another backend, or where nothing else runs.
 */
public final class ReferenceBackend extends BackendBase<ReferenceTensor> {

    /** What the provider's probe and {@link #device()} report. */
    static final String DEVICE = "host JVM, plain Java loops (reference backend: correct, not fast)";

    /** A new backend; it holds no resource but the tensors it creates. */
    public ReferenceBackend() {
        super("reference", ReferenceTensor.class);
    }

    @Override
    public String name() {
        return ReferenceBackendProvider.NAME;
    }

    @Override
    public String device() {
        return DEVICE;
    }

    // ---- creation and transfer --------------------------------------------------------------------------------

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
        ReferenceTensor t = new ReferenceTensor(this, new float[(int) n], 0, rows, cols, null);
        live.added(t, 4L * n);
        return t;
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        ReferenceTensor d = own(dst);
        if (src.length < d.size()) {
            throw new IllegalArgumentException("upload: " + src.length + " values into " + d.shape());
        }
        System.arraycopy(src, 0, d.data, d.offset, (int) d.size());
    }

    @Override
    public void download(Tensor src, float[] dst) {
        ReferenceTensor s = own(src);
        if (dst.length < s.size()) {
            throw new IllegalArgumentException("download: " + s.shape() + " into " + dst.length + " values");
        }
        System.arraycopy(s.data, s.offset, dst, 0, (int) s.size());
    }

    @Override
    protected void copy(ReferenceTensor s, ReferenceTensor d) {
        if (s != d) {
            System.arraycopy(s.data, s.offset, d.data, d.offset, (int) s.size());
        }
    }

    @Override
    protected void fill(ReferenceTensor a, float value) {
        Arrays.fill(a.data, a.offset, a.offset + (int) a.size(), value);
    }

    // ---- BLAS ---------------------------------------------------------------------------------------------------

    @Override
    protected void gemm(float alpha, ReferenceTensor a, boolean transA, ReferenceTensor b, boolean transB, float beta,
                        ReferenceTensor c, int[] mnk) {
        int m = mnk[0];
        int n = mnk[1];
        int k = mnk[2];
        // op(A)[i][p] = a.data[a.offset + i * aI + p * aP]; op(B)[p][j] = b.data[b.offset + p * bP + j * bJ]
        int aI = transA ? 1 : a.cols();
        int aP = transA ? a.cols() : 1;
        int bP = transB ? 1 : b.cols();
        int bJ = transB ? b.cols() : 1;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                int pa = a.offset + i * aI;
                int pb = b.offset + j * bJ;
                for (int p = 0; p < k; p++) {
                    sum += (double) a.data[pa + p * aP] * b.data[pb + p * bP];
                }
                int pc = c.at(i, j);
                // beta = 0 ignores C's old contents, NaN included
                c.data[pc] = (float) (beta == 0f ? alpha * sum : alpha * sum + beta * (double) c.data[pc]);
            }
        }
    }

    @Override
    protected void axpy(float alpha, ReferenceTensor tx, ReferenceTensor ty) {
        int n = (int) tx.size();
        for (int i = 0; i < n; i++) {
            ty.data[ty.offset + i] = (float) (ty.data[ty.offset + i] + (double) alpha * tx.data[tx.offset + i]);
        }
    }

    @Override
    protected void scale(float alpha, ReferenceTensor a) {
        int n = (int) a.size();
        for (int i = 0; i < n; i++) {
            a.data[a.offset + i] = (float) ((double) alpha * a.data[a.offset + i]);
        }
    }

    @Override
    protected void addScalar(float alpha, ReferenceTensor a) {
        int n = (int) a.size();
        for (int i = 0; i < n; i++) {
            a.data[a.offset + i] = (float) ((double) alpha + a.data[a.offset + i]);
        }
    }

    // ---- element-wise -------------------------------------------------------------------------------------------

    @Override
    protected void map(UnaryOp f, ReferenceTensor tx, ReferenceTensor to) {
        int n = (int) tx.size();
        for (int i = 0; i < n; i++) {
            to.data[to.offset + i] = (float) f.apply(tx.data[tx.offset + i]);   // the api's double definition
        }
    }

    @Override
    protected void mapBackward(UnaryOp f, ReferenceTensor ty, ReferenceTensor tg, ReferenceTensor to) {
        int n = (int) ty.size();
        for (int i = 0; i < n; i++) {
            double g = tg.data[tg.offset + i];
            to.data[to.offset + i] = (float) (g * f.derivativeFromOutput(ty.data[ty.offset + i]));
        }
    }

    @Override
    protected void mul(ReferenceTensor ta, ReferenceTensor tb, ReferenceTensor to) {
        int n = (int) ta.size();
        for (int i = 0; i < n; i++) {
            to.data[to.offset + i] = (float) ((double) ta.data[ta.offset + i] * tb.data[tb.offset + i]);
        }
    }

    @Override
    protected void scaleRows(ReferenceTensor tx, ReferenceTensor tv, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            double s = tv.data[tv.offset + i];
            for (int j = 0; j < tx.cols(); j++) {
                to.data[to.at(i, j)] = (float) (s * tx.data[tx.at(i, j)]);
            }
        }
    }

    @Override
    protected void scaleColumns(ReferenceTensor tx, ReferenceTensor tv, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            for (int j = 0; j < tx.cols(); j++) {
                to.data[to.at(i, j)] = (float) ((double) tv.data[tv.offset + j] * tx.data[tx.at(i, j)]);
            }
        }
    }

    @Override
    protected void addRowVector(float alpha, ReferenceTensor tv, ReferenceTensor tx) {
        for (int i = 0; i < tx.rows(); i++) {
            for (int j = 0; j < tx.cols(); j++) {
                int p = tx.at(i, j);
                tx.data[p] = (float) (tx.data[p] + (double) alpha * tv.data[tv.offset + j]);
            }
        }
    }

    // ---- reductions ---------------------------------------------------------------------------------------------

    /** One step of a reduction in double; Math.max propagates NaN. */
    private static double accumulate(Reduction r, double acc, float v) {
        return switch (r) {
            case SUM -> acc + v;
            case SUM_SQUARES -> acc + (double) v * v;
            case MAX -> Math.max(acc, v);
        };
    }

    private static double start(Reduction r) {
        return r == Reduction.MAX ? Double.NEGATIVE_INFINITY : 0.0;
    }

    @Override
    protected void reduceRows(Reduction r, ReferenceTensor tx, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            double acc = start(r);
            for (int j = 0; j < tx.cols(); j++) {
                acc = accumulate(r, acc, tx.data[tx.at(i, j)]);
            }
            to.data[to.offset + i] = (float) acc;
        }
    }

    @Override
    protected void reduceColumns(Reduction r, ReferenceTensor tx, ReferenceTensor to) {
        for (int j = 0; j < tx.cols(); j++) {
            double acc = start(r);
            for (int i = 0; i < tx.rows(); i++) {
                acc = accumulate(r, acc, tx.data[tx.at(i, j)]);
            }
            to.data[to.offset + j] = (float) acc;
        }
    }

    @Override
    protected void rowDot(ReferenceTensor ta, ReferenceTensor tb, ReferenceTensor to) {
        for (int i = 0; i < ta.rows(); i++) {
            double acc = 0;
            for (int j = 0; j < ta.cols(); j++) {
                acc += (double) ta.data[ta.at(i, j)] * tb.data[tb.at(i, j)];
            }
            to.data[to.offset + i] = (float) acc;
        }
    }

    // ---- indexing -----------------------------------------------------------------------------------------------

    @Override
    protected void gatherRows(ReferenceTensor ts, int[] idx, ReferenceTensor to) {
        int c = ts.cols();
        for (int i = 0; i < idx.length; i++) {
            System.arraycopy(ts.data, ts.at(idx[i], 0), to.data, to.offset + i * c, c);
        }
    }

    @Override
    protected void scatterAddRows(float alpha, ReferenceTensor ts, int[] idx, ReferenceTensor td) {
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < td.cols(); j++) {
                int p = td.at(idx[i], j);
                td.data[p] = (float) (td.data[p] + (double) alpha * ts.data[ts.at(i, j)]);   // repeats accumulate
            }
        }
    }

    @Override
    protected void gatherElements(ReferenceTensor tx, int[] cols, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            to.data[to.offset + i] = tx.data[tx.at(i, cols[i])];
        }
    }

    @Override
    protected void addToElements(float alpha, ReferenceTensor tv, int[] cols, ReferenceTensor tx) {
        for (int i = 0; i < tx.rows(); i++) {
            int p = tx.at(i, cols[i]);
            tx.data[p] = (float) (tx.data[p] + (double) alpha * tv.data[tv.offset + i]);
        }
    }

    @Override
    protected void copyColumns(ReferenceTensor ts, int srcCol, ReferenceTensor td, int dstCol, int count) {
        for (int i = 0; i < ts.rows(); i++) {
            System.arraycopy(ts.data, ts.at(i, srcCol), td.data, td.at(i, dstCol), count);
        }
    }

    // ---- softmax and ranking ------------------------------------------------------------------------------------

    @Override
    protected void logSoftmaxRows(ReferenceTensor tx, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            RowOps.logSoftmax(tx.data, tx.at(i, 0), to.data, to.at(i, 0), 0, tx.cols(), 0.0);
        }
    }

    @Override
    protected void segmentedLogSoftmax(ReferenceTensor tx, int[] starts, ReferenceTensor tf, ReferenceTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            for (int g = 0; g < starts.length; g++) {
                int end = g + 1 < starts.length ? starts[g + 1] : tx.cols();
                RowOps.logSoftmax(tx.data, tx.at(i, 0), to.data, to.at(i, 0), starts[g], end, tf.data[tf.at(i, g)]);
            }
        }
    }

    @Override
    protected void topKRows(ReferenceTensor tx, int k, int[] out) {
        for (int i = 0; i < tx.rows(); i++) {
            RowOps.topK(tx.data, tx.at(i, 0), tx.cols(), k, out, i * k);
        }
    }

    @Override
    protected void targetRanks(ReferenceTensor tx, int[] targets, int[] ranks) {
        for (int i = 0; i < tx.rows(); i++) {
            ranks[i] = RowOps.rank(tx.data, tx.at(i, 0), tx.cols(), targets[i]);
        }
    }

    // ---- lifetime -----------------------------------------------------------------------------------------------

    /** Called by a root tensor when it is closed. */
    void released(ReferenceTensor root, long bytes) {
        live.released(root, bytes);
    }

    /** Closes every tensor still open; the backend refuses work afterwards. */
    @Override
    public void close() {
        live.closeAll();
    }
}
