package io.spherical.api;

import io.spherical.api.spi.HostLinearAlgebra;
import io.spherical.api.spi.Shapes;

/**
 * A compute device: it creates float32 {@link Tensor}s and runs a small, complete set of BLAS-like operations
 * into caller-provided outputs.
 *
 * <p>Contract for every implementation (checked by the testkit contract suite):
 * <ul>
 *   <li>Matrices are row-major; a minibatch is one example per row (see {@link Tensor}).</li>
 *   <li>No operation allocates device memory behind the caller's back in steady state: outputs are passed in,
 *       and any scratch space is cached and reused.</li>
 *   <li>Shapes are checked and a mismatch throws {@link IllegalArgumentException} (a programming error).</li>
 *   <li>Unless an operation says otherwise, an output may alias an input only when they are the same tensor.</li>
 *   <li>Index arrays live on the host; an index out of range throws {@link IndexOutOfBoundsException}.</li>
 * </ul>
 */
public interface Backend extends AutoCloseable {

    /** The provider name this backend was created by, e.g. {@code nd4j}. */
    String name();

    /** One line describing the device, e.g. {@code CPU (OpenBLAS), 2 threads}. */
    String device();

    // ---- creation and host transfer -------------------------------------------------------------------

    /** A new {@code rows x cols} tensor of zeros. */
    Tensor zeros(int rows, int cols);

    /** A new tensor holding {@code data} (row-major, length {@code rows * cols}). */
    default Tensor fromHost(float[] data, int rows, int cols) {
        Tensor t = zeros(rows, cols);
        upload(data, t);
        return t;
    }

    /** Copies the first {@code dst.size()} values of {@code src} (row-major) into {@code dst}. */
    void upload(float[] src, Tensor dst);

    /** Copies {@code src} into {@code dst} (row-major, length at least {@code src.size()}). */
    void download(Tensor src, float[] dst);

    /** Convenience: a new host array with the tensor's contents. */
    default float[] toHost(Tensor src) {
        float[] out = new float[Math.toIntExact(src.size())];
        download(src, out);
        return out;
    }

    /** dst = src (same shape). */
    void copy(Tensor src, Tensor dst);

    /** Every element of {@code x} set to {@code value}. */
    void fill(Tensor x, float value);

    // ---- BLAS ------------------------------------------------------------------------------------------

    /**
     * c = alpha * op(a) * op(b) + beta * c, where op transposes when asked: {@code op(a)} is {@code m x k} ({@code a}
     * itself is {@code k x m} when {@code transA}), {@code op(b)} is {@code k x n}, {@code c} is {@code m x n}. {@code c}
     * must not be (or share storage with) {@code a} or {@code b}; {@code a} and {@code b} may be the same tensor (for
     * example {@code a^T a}). With beta = 0, c's old contents (even NaN) are ignored.
     */
    void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c);

    /** y += alpha * x (same shape). */
    void axpy(float alpha, Tensor x, Tensor y);

    /** x *= alpha. */
    void scale(float alpha, Tensor x);

    /** x += alpha elementwise. */
    void addScalar(float alpha, Tensor x);

    // ---- elementwise -----------------------------------------------------------------------------------

    /** out = f(x) elementwise; out may be x. */
    void map(UnaryOp f, Tensor x, Tensor out);

    /** out = grad * f'(x) where {@code y = f(x)}, for functions with {@link UnaryOp#hasBackward()}; out may be grad. */
    void mapBackward(UnaryOp f, Tensor y, Tensor grad, Tensor out);

    /** out = a * b elementwise (Hadamard); out may be a or b. */
    void mul(Tensor a, Tensor b, Tensor out);

    /** out[i][j] = x[i][j] * v[i], where v holds {@code x.rows()} values (any shape); out may be x. */
    void scaleRows(Tensor x, Tensor v, Tensor out);

    /** out[i][j] = x[i][j] * v[j], where v holds {@code x.cols()} values (any shape); out may be x. */
    void scaleColumns(Tensor x, Tensor v, Tensor out);

    /** x[i][j] += alpha * v[j], where v holds {@code x.cols()} values (bias broadcast over examples). */
    void addRowVector(float alpha, Tensor v, Tensor x);

    // ---- reductions ------------------------------------------------------------------------------------

    /** out[i] = r over row i of x; out holds {@code x.rows()} values. */
    void reduceRows(Reduction r, Tensor x, Tensor out);

    /** out[j] = r over column j of x; out holds {@code x.cols()} values. */
    void reduceColumns(Reduction r, Tensor x, Tensor out);

    /** out[i] = dot(a[i, :], b[i, :]); out holds {@code a.rows()} values. */
    void rowDot(Tensor a, Tensor b, Tensor out);

    // ---- indexing --------------------------------------------------------------------------------------

    /** out[i, :] = src[idx[i], :] for i &lt; idx.length; out has idx.length rows (zero rows allowed). */
    void gatherRows(Tensor src, int[] idx, Tensor out);

    /** dst[idx[i], :] += alpha * src[i, :]; repeated indices accumulate (every occurrence counts). */
    void scatterAddRows(float alpha, Tensor src, int[] idx, Tensor dst);

    /** out[i] = x[i, cols[i]]; out holds {@code x.rows()} values. */
    void gatherElements(Tensor x, int[] cols, Tensor out);

    /** x[i, cols[i]] += alpha * values[i] for every row i; values holds {@code x.rows()} values (any shape). */
    void addToElements(float alpha, Tensor values, int[] cols, Tensor x);

    /** dst[:, dstCol + j] = src[:, srcCol + j] for j &lt; count (same number of rows): column blocks, e.g. a bias column. */
    void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int count);

    // ---- softmax and ranking ---------------------------------------------------------------------------

    /** out[i, :] = x[i, :] - logsumexp(x[i, :]), computed stably (max subtracted first); out may be x. */
    void logSoftmaxRows(Tensor x, Tensor out);

    /**
     * Log-softmax within column segments, plus a per-(row, segment) offset: for column j in segment g (columns
     * {@code [starts[g], starts[g+1])}, the last ending at the row's end), {@code out[i, j] = x[i, j] -
     * logsumexp(x[i, segment g]) + offsets[i, g]}. {@code offsets} is {@code rows x starts.length}; out may be x.
     * (The hierarchical softmax's log-probabilities: log p(class) + log p(word | class) for every word at once.)
     */
    void segmentedLogSoftmax(Tensor x, int[] starts, Tensor offsets, Tensor out);

    /**
     * For each row i, the column indices of its k largest values in decreasing order, written to
     * {@code out[i*k .. i*k+k)}; ties go to the lower column index, NaN ranks below every number.
     */
    void topKRows(Tensor x, int k, int[] out);

    /**
     * For each row i, the 1-based rank of column {@code targets[i]}: 1 + the number of other columns whose value is
     * greater than or equal to it (ties count against the target; a NaN target ranks last).
     */
    void targetRanks(Tensor x, int[] targets, int[] ranks);

    // ---- small dense linear algebra --------------------------------------------------------------------

    /**
     * x = a^-1 b for a square, non-singular {@code a}; a and b are left unchanged. The default is the documented host
     * fallback: LU with partial pivoting in double precision on the host (O(n^3 + n^2 k) there, plus the transfers).
     *
     * @throws ArithmeticException when a is singular to working precision
     */
    default void solve(Tensor a, Tensor b, Tensor x) {
        if (a.rows() != a.cols()) {
            throw new IllegalArgumentException("solve: a must be square, is " + a.shape());
        }
        Shapes.require(b, a.rows(), b.cols(), "solve b");
        Shapes.same(b, x, "solve");
        int n = a.rows();
        int k = b.cols();
        if (n == 0 || k == 0) {
            return;
        }
        float[] af = toHost(a);
        float[] bf = toHost(b);
        upload(HostLinearAlgebra.solve(af, n, bf, k), x);
    }

    /** Bytes of device memory this backend holds now, or -1 when it cannot tell (benchmarks sample it for peaks). */
    default long allocatedBytes() {
        return -1;
    }

    /** Blocks until every queued operation has finished (a no-op on synchronous backends). */
    default void synchronize() {
    }

    /**
     * Releases the device and any cached scratch space. Whoever created the backend closes it, last: tensors and
     * layers made with it must not be used afterwards (close them first; a backend may release their storage too).
     */
    @Override
    void close();
}
