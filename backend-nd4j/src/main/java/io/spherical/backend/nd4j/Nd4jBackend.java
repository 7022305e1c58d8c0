package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.spi.BackendBase;
import io.spherical.api.spi.Shapes;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.nio.FloatBuffer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Exp;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Log;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Tanh;
import org.nd4j.linalg.factory.Nd4j;


/**
 * CPU backend on ND4J. Matrix products go straight to the OpenBLAS ND4J loads ({@code cblas_sgemm} on the tensors'
 * storage, into the caller's output: faster than {@link Nd4j#gemm} at small shapes, and the allocating {@code mmul}
 * is many times slower, measured); transcendental maps and log-softmax use ND4J's
 * native vectorised ops; the cheap elementwise, indexing and ranking operations are plain loops over the
 * off-heap storage, which costs no JNI round trip and allocates nothing.
 *
 * <p>{@link #solve} is the api's host fallback: ND4J's own "solve" and "matrix_inverse" ops measured 1.3 s and 0.9 s
 * for a 200x200 system with 513 right-hand sides, and its LAPACK path (getrf) crashed the JVM (SIGSEGV) for n = 200
 * with this ND4J build. The factored layer avoids general solves in its hot loop (Newton-Schulz on GEMMs).
 */
final class Nd4jBackend extends BackendBase<Nd4jTensor> {

    Nd4jBackend() {
        super("ND4J", Nd4jTensor.class);
        if (!"PASSIVE".equalsIgnoreCase(System.getenv("OMP_WAIT_POLICY"))) {
            System.getLogger(Nd4jBackend.class.getName()).log(System.Logger.Level.WARNING,
                    "OMP_WAIT_POLICY is not PASSIVE: ND4J's OpenMP threads will spin between native calls and slow the "
                    + "Java loops in between (measured 4x on the hierarchical softmax step). Set OMP_WAIT_POLICY=PASSIVE.");
        }
    }

    @Override
    public String name() {
        return Nd4jBackendProvider.NAME;
    }

    @Override
    public String device() {
        return "CPU " + Nd4jBackendProvider.platform() + ", " + Runtime.getRuntime().availableProcessors()
                + " cores (ND4J " + Nd4j.getBackend().getClass().getSimpleName() + ", OpenBLAS)";
    }

    @Override
    public Tensor zeros(int rows, int cols) {
        live.requireOpen();
        if (rows < 0 || cols < 0) {
            throw new IllegalArgumentException("negative shape " + rows + "x" + cols);
        }
        if ((long) rows * cols > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("tensor " + rows + "x" + cols + " exceeds 2^31 elements");
        }
        Nd4jTensor t;
        if (rows == 0 || cols == 0) {
            t = new Nd4jTensor(this, null, FloatBuffer.allocate(0), 0, rows, cols, null);
        } else {
            INDArray arr = Nd4j.create(DataType.FLOAT, new long[] {rows, cols}, 'c');
            t = new Nd4jTensor(this, arr, arr.data().asNioFloat(), 0, rows, cols, null);
        }
        live.added(t, 4L * rows * cols);
        return t;
    }

    @Override
    public void upload(float[] src, Tensor dst) {
        Nd4jTensor d = own(dst);
        if (src.length < d.size()) {
            throw new IllegalArgumentException("upload: " + src.length + " values into " + d.shape());
        }
        d.buf.put(d.offset, src, 0, (int) d.size());
    }

    @Override
    public void download(Tensor src, float[] dst) {
        Nd4jTensor s = own(src);
        if (dst.length < s.size()) {
            throw new IllegalArgumentException("download: " + s.shape() + " into " + dst.length + " values");
        }
        s.buf.get(s.offset, dst, 0, (int) s.size());
    }

    @Override
    protected void copy(Nd4jTensor s, Nd4jTensor d) {
        if (s.size() > 0 && s != d) {
            d.buf.put(d.offset, s.buf, s.offset, (int) s.size());
        }
    }

    @Override
    protected void fill(Nd4jTensor a, float value) {
        int n = (int) a.size();
        for (int i = 0; i < n; i++) {
            a.buf.put(a.offset + i, value);
        }
    }

    @Override
    protected void gemm(float alpha, Nd4jTensor ta, boolean transA, Nd4jTensor tb, boolean transB, float beta, Nd4jTensor tc,
                        int[] mnk) {
        // straight into OpenBLAS on the tensors' own storage (row-major, leading dimension = cols): 1.3-1.5x faster
        // than Nd4j.gemm at the factored step's shapes, level at large ones (BENCHMARKS.md, "GEMM paths"). OpenBLAS
        // overwrites C when beta == 0 (old NaN do not leak; the contract suite checks it)
        if ((mnk[1] == 1 && transA) || (mnk[2] == 1 && beta != 0f)) {
            // A^T x and rank-one updates of C: ND4J computes these its own way, which rounds differently from sgemm
            // in the last bit (found by comparing every product of a training run); they are rare and cheap, and
            // keeping ND4J's path for them keeps every result bit-identical to Nd4j.gemm (GemmPathTest)
            Nd4j.gemm(ta.arr, tb.arr, tc.arr, transA, transB, alpha, beta);
            return;
        }
        openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor,
                transA ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans,
                transB ? openblas_nolapack.CblasTrans : openblas_nolapack.CblasNoTrans, mnk[0], mnk[1], mnk[2], alpha,
                ta.pointer(0), ta.cols(), tb.pointer(1), tb.cols(), beta, tc.pointer(2), tc.cols());
    }

    @Override
    protected void axpy(float alpha, Nd4jTensor tx, Nd4jTensor ty) {
        int n = (int) tx.size();
        if (n > HostLoops.PARALLEL_THRESHOLD) {
            Nd4j.getBlasWrapper().level1().axpy(n, alpha, tx.arr, ty.arr);
            return;
        }
        for (int i = 0; i < n; i++) {
            ty.buf.put(ty.offset + i, ty.buf.get(ty.offset + i) + alpha * tx.buf.get(tx.offset + i));
        }
    }

    @Override
    protected void scale(float alpha, Nd4jTensor a) {
        int n = (int) a.size();
        for (int i = 0; i < n; i++) {
            a.buf.put(a.offset + i, alpha * a.buf.get(a.offset + i));
        }
    }

    @Override
    protected void addScalar(float alpha, Nd4jTensor a) {
        int n = (int) a.size();
        for (int i = 0; i < n; i++) {
            a.buf.put(a.offset + i, alpha + a.buf.get(a.offset + i));
        }
    }

    @Override
    protected void map(UnaryOp f, Nd4jTensor tx, Nd4jTensor to) {
        if (tx.size() == 0) {
            return;
        }
        switch (f) {
            case TANH -> Nd4j.exec(new Tanh(tx.arr, to.arr));
            case SIGMOID -> Nd4j.exec(new Sigmoid(tx.arr, to.arr));
            case EXP -> Nd4j.exec(new Exp(tx.arr, to.arr));
            case LOG -> Nd4j.exec(new Log(tx.arr, to.arr));
            default -> {
                int n = (int) tx.size();
                for (int i = 0; i < n; i++) {
                    float v = tx.buf.get(tx.offset + i);
                    float r = switch (f) {
                        case IDENTITY -> v;
                        case RELU -> v > 0f || v != v ? v : 0f;
                        case SQUARE -> v * v;
                        case SQRT -> (float) Math.sqrt(v);
                        case RECIPROCAL -> 1f / v;
                        default -> throw new AssertionError(f);
                    };
                    to.buf.put(to.offset + i, r);
                }
            }
        }
    }

    @Override
    protected void mapBackward(UnaryOp f, Nd4jTensor ty, Nd4jTensor tg, Nd4jTensor to) {
        int n = (int) ty.size();
        for (int i = 0; i < n; i++) {
            float v = ty.buf.get(ty.offset + i);
            float g = tg.buf.get(tg.offset + i);
            float r = switch (f) {
                case IDENTITY -> g;
                case RELU -> v > 0f ? g : 0f;
                case TANH -> g * (1f - v * v);
                case SIGMOID -> g * v * (1f - v);
                case EXP -> g * v;
                default -> throw new AssertionError(f);
            };
            to.buf.put(to.offset + i, r);
        }
    }

    @Override
    protected void mul(Nd4jTensor ta, Nd4jTensor tb, Nd4jTensor to) {
        int n = (int) ta.size();
        for (int i = 0; i < n; i++) {
            to.buf.put(to.offset + i, ta.buf.get(ta.offset + i) * tb.buf.get(tb.offset + i));
        }
    }

    @Override
    protected void scaleRows(Nd4jTensor tx, Nd4jTensor tv, Nd4jTensor to) {
        int c = tx.cols();
        for (int i = 0; i < tx.rows(); i++) {
            float s = tv.buf.get(tv.offset + i);
            int xo = tx.offset + i * c;
            int oo = to.offset + i * c;
            for (int j = 0; j < c; j++) {
                to.buf.put(oo + j, s * tx.buf.get(xo + j));
            }
        }
    }

    @Override
    protected void scaleColumns(Nd4jTensor tx, Nd4jTensor tv, Nd4jTensor to) {
        int c = tx.cols();
        for (int i = 0; i < tx.rows(); i++) {
            int xo = tx.offset + i * c;
            int oo = to.offset + i * c;
            for (int j = 0; j < c; j++) {
                to.buf.put(oo + j, tv.buf.get(tv.offset + j) * tx.buf.get(xo + j));
            }
        }
    }

    @Override
    protected void addRowVector(float alpha, Nd4jTensor tv, Nd4jTensor tx) {
        int c = tx.cols();
        for (int i = 0; i < tx.rows(); i++) {
            int xo = tx.offset + i * c;
            for (int j = 0; j < c; j++) {
                tx.buf.put(xo + j, tx.buf.get(xo + j) + alpha * tv.buf.get(tv.offset + j));
            }
        }
    }

    @Override
    protected void reduceRows(Reduction r, Nd4jTensor tx, Nd4jTensor to) {
        int c = tx.cols();
        HostLoops.rows(tx.rows(), c, i -> {
            int xo = tx.offset + i * c;
            double acc = r == Reduction.MAX ? Double.NEGATIVE_INFINITY : 0.0;
            for (int j = 0; j < c; j++) {
                acc = HostLoops.accumulate(r, acc, tx.buf.get(xo + j));
            }
            to.buf.put(to.offset + i, (float) acc);
        });
    }

    @Override
    protected void reduceColumns(Reduction r, Nd4jTensor tx, Nd4jTensor to) {
        int c = tx.cols();
        double[] acc = new double[c];
        java.util.Arrays.fill(acc, r == Reduction.MAX ? Double.NEGATIVE_INFINITY : 0.0);
        for (int i = 0; i < tx.rows(); i++) {
            int xo = tx.offset + i * c;
            for (int j = 0; j < c; j++) {
                acc[j] = HostLoops.accumulate(r, acc[j], tx.buf.get(xo + j));
            }
        }
        for (int j = 0; j < c; j++) {
            to.buf.put(to.offset + j, (float) acc[j]);
        }
    }

    @Override
    protected void rowDot(Nd4jTensor ta, Nd4jTensor tb, Nd4jTensor to) {
        int c = ta.cols();
        for (int i = 0; i < ta.rows(); i++) {
            int ao = ta.offset + i * c;
            int bo = tb.offset + i * c;
            double acc = 0;
            for (int j = 0; j < c; j++) {
                acc += ta.buf.get(ao + j) * tb.buf.get(bo + j);
            }
            to.buf.put(to.offset + i, (float) acc);
        }
    }

    @Override
    protected void gatherRows(Nd4jTensor ts, int[] idx, Nd4jTensor to) {
        int c = ts.cols();
        for (int i = 0; i < idx.length; i++) {
            to.buf.put(to.offset + i * c, ts.buf, ts.offset + idx[i] * c, c);
        }
    }

    @Override
    protected void scatterAddRows(float alpha, Nd4jTensor ts, int[] idx, Nd4jTensor td) {
        int c = td.cols();
        for (int i = 0; i < idx.length; i++) {
            int so = ts.offset + i * c;
            int d0 = td.offset + idx[i] * c;
            for (int j = 0; j < c; j++) {
                td.buf.put(d0 + j, td.buf.get(d0 + j) + alpha * ts.buf.get(so + j));
            }
        }
    }

    @Override
    protected void gatherElements(Nd4jTensor tx, int[] cols, Nd4jTensor to) {
        for (int i = 0; i < tx.rows(); i++) {
            to.buf.put(to.offset + i, tx.buf.get(tx.offset + i * tx.cols() + cols[i]));
        }
    }

    @Override
    protected void addToElements(float alpha, Nd4jTensor tv, int[] cols, Nd4jTensor tx) {
        for (int i = 0; i < tx.rows(); i++) {
            int p = tx.offset + i * tx.cols() + cols[i];
            tx.buf.put(p, tx.buf.get(p) + alpha * tv.buf.get(tv.offset + i));
        }
    }

    @Override
    protected void copyColumns(Nd4jTensor ts, int srcCol, Nd4jTensor td, int dstCol, int count) {
        for (int i = 0; i < ts.rows(); i++) {
            td.buf.put(td.offset + i * td.cols() + dstCol, ts.buf, ts.offset + i * ts.cols() + srcCol, count);
        }
    }

    @Override
    protected void logSoftmaxRows(Nd4jTensor tx, Nd4jTensor to) {
        RowSoftmax.logSoftmax(tx, to);
    }

    @Override
    protected void segmentedLogSoftmax(Nd4jTensor tx, int[] starts, Nd4jTensor tf, Nd4jTensor to) {
        RowSoftmax.segmented(tx, starts, tf, to);
    }

    @Override
    protected void topKRows(Nd4jTensor tx, int k, int[] out) {
        int c = tx.cols();
        HostLoops.rows(tx.rows(), c, i -> TopK.row(tx.buf, tx.offset + i * c, c, k, out, i * k));
    }

    @Override
    protected void targetRanks(Nd4jTensor tx, int[] targets, int[] ranks) {
        int c = tx.cols();
        HostLoops.rows(tx.rows(), c, i -> {
            int o = tx.offset + i * c;
            float target = tx.buf.get(o + targets[i]);
            if (target != target) {
                ranks[i] = c;
                return;
            }
            int above = 0;
            for (int j = 0; j < c; j++) {
                if (tx.buf.get(o + j) >= target) {
                    above++;
                }
            }
            ranks[i] = above; // counts the target itself once: 1 + others >= target
        });
    }

    void released(Nd4jTensor root, long bytes) {
        live.released(root, bytes);
    }

    /** Releases every tensor still open; the backend refuses work afterwards. */
    @Override
    public void close() {
        live.closeAll();
    }
}
