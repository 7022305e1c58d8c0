package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A row-major float32 ND4J array plus a direct view of its off-heap storage for the element loops. */
final class Nd4jTensor implements Tensor {
    final Nd4jBackend backend;
    final INDArray arr;
    /** The whole underlying buffer; element (i, j) is at {@code offset + i * cols + j}. */
    final FloatBuffer buf;
    final int offset;
    private final int rows;
    private final int cols;
    private final Nd4jTensor owner;
    private boolean closed;

    Nd4jTensor(Nd4jBackend backend, INDArray arr, FloatBuffer buf, int offset, int rows, int cols, Nd4jTensor owner) {
        this.backend = backend;
        this.arr = arr;
        this.buf = buf;
        this.offset = offset;
        this.rows = rows;
        this.cols = cols;
        this.owner = owner;
    }

    @Override
    public int rows() {
        return rows;
    }

    @Override
    public int cols() {
        return cols;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    public Tensor rowRange(int from, int to) {
        if (from < 0 || to > rows || from > to) {
            throw new IndexOutOfBoundsException("rows [" + from + ", " + to + ") of a " + shape() + " tensor");
        }
        return view(offset + from * cols, to - from, cols);
    }

    @Override
    public Tensor reshape(int newRows, int newCols) {
        if ((long) newRows * newCols != size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + newRows + "x" + newCols);
        }
        return view(offset, newRows, newCols);
    }

    /** A view over the root storage: a new array header on the same buffer, never a copy. */
    private Nd4jTensor view(int start, int r, int c) {
        Nd4jTensor root = owner == null ? this : owner;
        INDArray view = (r == 0 || c == 0) ? null
                : Nd4j.create(root.arr.data(), new long[] {r, c}, new long[] {c, 1}, start, 'c');
        return new Nd4jTensor(backend, view, buf, start, r, c, root);
    }

    @Override
    public boolean isClosed() {
        return owner == null ? closed : owner.isClosed();
    }

    @Override
    public void close() {
        if (owner == null && !closed) {
            closed = true;
            if (arr != null && !arr.wasClosed() && arr.closeable()) {
                arr.close();
            }
            backend.released(4L * size());
        }
    }

    void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + shape() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "Nd4jTensor[" + shape() + "]";
    }
}
