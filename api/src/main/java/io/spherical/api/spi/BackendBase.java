package io.spherical.api.spi;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;

/**
 * The part of every backend that does not depend on the device: each public operation takes the caller's tensors,
 * checks that they belong to this backend and are open, checks their shapes once (here, not in every backend), and
 * hands the backend's own tensor type to a protected method that only computes. The backend also keeps its
 * {@link LiveTensors}, so that {@code close()} releases everything still open.
 *
 * @param <T> the backend's tensor type
 */
public abstract class BackendBase<T extends ViewTensor<T>> implements Backend {
    /** The root tensors this backend created and has not released. */
    protected final LiveTensors live;
    private final Class<T> type;
    private final String label;

    /**
     * @param label the backend's name in messages ("ND4J", "OpenCL")
     * @param type  its tensor class
     */
    protected BackendBase(String label, Class<T> type) {
        this.label = label;
        this.type = type;
        this.live = new LiveTensors(label);
    }

    /** The tensor as this backend's own type; a tensor of another backend, or a closed one, is refused. */
    protected final T own(Tensor x) {
        if (!type.isInstance(x) || x.backend() != this) {
            throw new IllegalArgumentException("tensor " + x + " does not belong to this " + label + " backend");
        }
        T t = type.cast(x);
        t.checkOpen();
        live.requireOpen();
        return t;
    }

    @Override
    public final long allocatedBytes() {
        return live.bytes();
    }

    @Override
    public final void gemm(float alpha, Tensor a, boolean transA, Tensor b, boolean transB, float beta, Tensor c) {
        T ta = own(a);
        T tb = own(b);
        T tc = own(c);
        int[] mnk = Shapes.gemm(ta, transA, tb, transB, tc);
        if (Shapes.trivialGemm(this, mnk, alpha, beta, tc)) {
            return;
        }
        gemm(alpha, ta, transA, tb, transB, beta, tc, mnk);
    }

    /** C = alpha op(A) op(B) + beta C with {@code mnk = {m, n, k}} checked and not trivial (k &gt; 0, alpha != 0). */
    protected abstract void gemm(float alpha, T a, boolean transA, T b, boolean transB, float beta, T c, int[] mnk);

    @Override
    public final void addRowVector(float alpha, Tensor v, Tensor x) {
        T tx = own(x);
        T tv = own(v);
        Shapes.length(tv, tx.cols(), "addRowVector vector");
        addRowVector(alpha, tv, tx);
    }

    /** addRowVector on this backend's own tensors, shapes already checked. */
    protected abstract void addRowVector(float alpha, T tv, T tx);

    @Override
    public final void addScalar(float alpha, Tensor x) {
        T a = own(x);
        addScalar(alpha, a);
    }

    /** addScalar on this backend's own tensors, shapes already checked. */
    protected abstract void addScalar(float alpha, T a);

    @Override
    public final void addToElements(float alpha, Tensor values, int[] cols, Tensor x) {
        T tx = own(x);
        T tv = own(values);
        Shapes.length(tv, tx.rows(), "addToElements values");
        Shapes.indices(cols, tx.rows(), tx.cols(), "addToElements");
        addToElements(alpha, tv, cols, tx);
    }

    /** addToElements on this backend's own tensors, shapes already checked. */
    protected abstract void addToElements(float alpha, T tv, int[] cols, T tx);

    @Override
    public final void axpy(float alpha, Tensor x, Tensor y) {
        T tx = own(x);
        T ty = own(y);
        Shapes.same(tx, ty, "axpy");
        axpy(alpha, tx, ty);
    }

    /** axpy on this backend's own tensors, shapes already checked. */
    protected abstract void axpy(float alpha, T tx, T ty);

    @Override
    public final void copy(Tensor src, Tensor dst) {
        T s = own(src);
        T d = own(dst);
        Shapes.same(s, d, "copy");
        copy(s, d);
    }

    /** copy on this backend's own tensors, shapes already checked. */
    protected abstract void copy(T s, T d);

    @Override
    public final void copyColumns(Tensor src, int srcCol, Tensor dst, int dstCol, int count) {
        T ts = own(src);
        T td = own(dst);
        Shapes.columns(ts, srcCol, td, dstCol, count);
        copyColumns(ts, srcCol, td, dstCol, count);
    }

    /** copyColumns on this backend's own tensors, shapes already checked. */
    protected abstract void copyColumns(T ts, int srcCol, T td, int dstCol, int count);

    @Override
    public final void fill(Tensor x, float value) {
        T a = own(x);
        fill(a, value);
    }

    /** fill on this backend's own tensors, shapes already checked. */
    protected abstract void fill(T a, float value);

    @Override
    public final void gatherElements(Tensor x, int[] cols, Tensor out) {
        T tx = own(x);
        T to = own(out);
        Shapes.length(to, tx.rows(), "gatherElements output");
        Shapes.indices(cols, tx.rows(), tx.cols(), "gatherElements");
        gatherElements(tx, cols, to);
    }

    /** gatherElements on this backend's own tensors, shapes already checked. */
    protected abstract void gatherElements(T tx, int[] cols, T to);

    @Override
    public final void gatherRows(Tensor src, int[] idx, Tensor out) {
        T ts = own(src);
        T to = own(out);
        Shapes.require(to, idx.length, ts.cols(), "gatherRows output");
        Shapes.indices(idx, idx.length, ts.rows(), "gatherRows");
        gatherRows(ts, idx, to);
    }

    /** gatherRows on this backend's own tensors, shapes already checked. */
    protected abstract void gatherRows(T ts, int[] idx, T to);

    @Override
    public final void logSoftmaxRows(Tensor x, Tensor out) {
        T tx = own(x);
        T to = own(out);
        Shapes.same(tx, to, "logSoftmaxRows");
        logSoftmaxRows(tx, to);
    }

    /** logSoftmaxRows on this backend's own tensors, shapes already checked. */
    protected abstract void logSoftmaxRows(T tx, T to);

    @Override
    public final void map(UnaryOp f, Tensor x, Tensor out) {
        T tx = own(x);
        T to = own(out);
        Shapes.same(tx, to, "map");
        map(f, tx, to);
    }

    /** map on this backend's own tensors, shapes already checked. */
    protected abstract void map(UnaryOp f, T tx, T to);

    @Override
    public final void mapBackward(UnaryOp f, Tensor y, Tensor grad, Tensor out) {
        if (!f.hasBackward()) {
            throw new IllegalArgumentException(f + " has no output-form derivative");
        }
        T ty = own(y);
        T tg = own(grad);
        T to = own(out);
        Shapes.same(ty, tg, "mapBackward");
        Shapes.same(ty, to, "mapBackward");
        mapBackward(f, ty, tg, to);
    }

    /** mapBackward on this backend's own tensors, shapes already checked. */
    protected abstract void mapBackward(UnaryOp f, T ty, T tg, T to);

    @Override
    public final void mul(Tensor a, Tensor b, Tensor out) {
        T ta = own(a);
        T tb = own(b);
        T to = own(out);
        Shapes.same(ta, tb, "mul");
        Shapes.same(ta, to, "mul");
        mul(ta, tb, to);
    }

    /** mul on this backend's own tensors, shapes already checked. */
    protected abstract void mul(T ta, T tb, T to);

    @Override
    public final void reduceColumns(Reduction r, Tensor x, Tensor out) {
        T tx = own(x);
        T to = own(out);
        Shapes.length(to, tx.cols(), "reduceColumns output");
        reduceColumns(r, tx, to);
    }

    /** reduceColumns on this backend's own tensors, shapes already checked. */
    protected abstract void reduceColumns(Reduction r, T tx, T to);

    @Override
    public final void reduceRows(Reduction r, Tensor x, Tensor out) {
        T tx = own(x);
        T to = own(out);
        Shapes.length(to, tx.rows(), "reduceRows output");
        reduceRows(r, tx, to);
    }

    /** reduceRows on this backend's own tensors, shapes already checked. */
    protected abstract void reduceRows(Reduction r, T tx, T to);

    @Override
    public final void rowDot(Tensor a, Tensor b, Tensor out) {
        T ta = own(a);
        T tb = own(b);
        T to = own(out);
        Shapes.same(ta, tb, "rowDot");
        Shapes.length(to, ta.rows(), "rowDot output");
        rowDot(ta, tb, to);
    }

    /** rowDot on this backend's own tensors, shapes already checked. */
    protected abstract void rowDot(T ta, T tb, T to);

    @Override
    public final void scale(float alpha, Tensor x) {
        T a = own(x);
        scale(alpha, a);
    }

    /** scale on this backend's own tensors, shapes already checked. */
    protected abstract void scale(float alpha, T a);

    @Override
    public final void scaleColumns(Tensor x, Tensor v, Tensor out) {
        T tx = own(x);
        T tv = own(v);
        T to = own(out);
        Shapes.length(tv, tx.cols(), "scaleColumns vector");
        Shapes.same(tx, to, "scaleColumns");
        scaleColumns(tx, tv, to);
    }

    /** scaleColumns on this backend's own tensors, shapes already checked. */
    protected abstract void scaleColumns(T tx, T tv, T to);

    @Override
    public final void scaleRows(Tensor x, Tensor v, Tensor out) {
        T tx = own(x);
        T tv = own(v);
        T to = own(out);
        Shapes.length(tv, tx.rows(), "scaleRows vector");
        Shapes.same(tx, to, "scaleRows");
        scaleRows(tx, tv, to);
    }

    /** scaleRows on this backend's own tensors, shapes already checked. */
    protected abstract void scaleRows(T tx, T tv, T to);

    @Override
    public final void scatterAddRows(float alpha, Tensor src, int[] idx, Tensor dst) {
        T ts = own(src);
        T td = own(dst);
        Shapes.require(ts, idx.length, td.cols(), "scatterAddRows source");
        Shapes.indices(idx, idx.length, td.rows(), "scatterAddRows");
        scatterAddRows(alpha, ts, idx, td);
    }

    /** scatterAddRows on this backend's own tensors, shapes already checked. */
    protected abstract void scatterAddRows(float alpha, T ts, int[] idx, T td);

    @Override
    public final void segmentedLogSoftmax(Tensor x, int[] starts, Tensor offsets, Tensor out) {
        T tx = own(x);
        T to = own(out);
        T tf = own(offsets);
        Shapes.same(tx, to, "segmentedLogSoftmax");
        Shapes.require(tf, tx.rows(), starts.length, "segmentedLogSoftmax offsets");
        Shapes.segments(starts, tx.cols());
        segmentedLogSoftmax(tx, starts, tf, to);
    }

    /** segmentedLogSoftmax on this backend's own tensors, shapes already checked. */
    protected abstract void segmentedLogSoftmax(T tx, int[] starts, T tf, T to);

    @Override
    public final void targetRanks(Tensor x, int[] targets, int[] ranks) {
        T tx = own(x);
        Shapes.ranks(tx, targets, ranks);
        targetRanks(tx, targets, ranks);
    }

    /** targetRanks on this backend's own tensors, shapes already checked. */
    protected abstract void targetRanks(T tx, int[] targets, int[] ranks);

    @Override
    public final void topKRows(Tensor x, int k, int[] out) {
        T tx = own(x);
        Shapes.topK(tx, k, out);
        topKRows(tx, k, out);
    }

    /** topKRows on this backend's own tensors, shapes already checked. */
    protected abstract void topKRows(T tx, int k, int[] out);
}
