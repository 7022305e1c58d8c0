package io.spherical.api;

/**
 * A dense float32 matrix stored row-major on its backend's device; the host never sees its storage directly.
 *
 * <p>Layout convention of the whole project: a minibatch is stored batch-major, one example per row
 * (an {@code m x d} matrix), so the "columns" of the papers' {@code d x m} matrices are our rows.
 * A tensor is closed exactly once by its owner; a view made by {@link #rowRange} shares storage and
 * closing it releases nothing.
 */
public interface Tensor extends AutoCloseable {

    /** Number of rows. */
    int rows();

    /** Number of columns. */
    int cols();

    /** Number of elements, {@code rows * cols}. */
    default long size() {
        return (long) rows() * cols();
    }

    /** The backend that owns this tensor's storage. */
    Backend backend();

    /** A view of rows {@code [from, to)} sharing this tensor's storage. */
    Tensor rowRange(int from, int to);

    /**
     * A view of the same storage read as {@code rows x cols} (same size, row-major order kept), e.g. an
     * {@code (m*n) x e} gather of n embeddings per example seen as the {@code m x (n*e)} concatenation.
     */
    Tensor reshape(int rows, int cols);

    /** Whether {@link #close()} has released the storage. */
    boolean isClosed();

    /** Releases the storage (a no-op for views and for tensors already closed). */
    @Override
    void close();

    /** Human-readable shape, e.g. {@code 200x513}. */
    default String shape() {
        return rows() + "x" + cols();
    }
}
