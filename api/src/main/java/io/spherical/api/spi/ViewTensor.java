package io.spherical.api.spi;

import io.spherical.api.Tensor;

/**
 * What every backend's tensor has in common: a row-major block of {@code rows x cols} floats starting at
 * {@code offset} in storage owned by a root tensor, views ({@link #rowRange}, {@link #reshape}) that share that
 * storage, and a lifetime that ends when the root is closed. A backend supplies the storage handle, how a view is
 * made and how storage is released.
 *
 * @param <T> the backend's own tensor type
 */
public abstract class ViewTensor<T extends ViewTensor<T>> implements Tensor {
    /** Where element (0, 0) is in the root's storage, in floats; element (i, j) is at {@code offset + i * cols + j}. */
    public final int offset;
    private final int rows;
    private final int cols;
    private final T root;
    private boolean closed;

    /**
     * @param root the tensor owning the storage, or null when this tensor is the root
     */
    protected ViewTensor(int offset, int rows, int cols, T root) {
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
        this.root = root;
    }

    /** A view of {@code r x c} elements at {@code start} of the root's storage. */
    protected abstract T view(int start, int r, int c);

    /** Releases the storage (called once, on the root). */
    protected abstract void release();

    /** The root that owns the storage: this tensor, or the one it is a view of. */
    @SuppressWarnings("unchecked")
    protected final T root() {
        return root == null ? (T) this : root;
    }

    @Override
    public final int rows() {
        return rows;
    }

    @Override
    public final int cols() {
        return cols;
    }

    @Override
    public final Tensor rowRange(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of a " + shape() + " tensor");
        }
        return view(offset + from * cols, to - from, cols);
    }

    @Override
    public final Tensor reshape(int newRows, int newCols) {
        if ((long) newRows * newCols != size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + newRows + "x" + newCols);
        }
        return view(offset, newRows, newCols);
    }

    @Override
    public final boolean isClosed() {
        return root == null ? closed : root.isClosed();
    }

    @Override
    public final void close() {
        if (root == null && !closed) {
            closed = true;
            release();
        }
    }

    /** Throws when the tensor (or the root it views) is closed. */
    public final void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + shape() + " is closed");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + shape() + "]";
    }
}
