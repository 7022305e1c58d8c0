package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.api.spi.ViewTensor;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A row-major float32 ND4J array plus a direct view of its off-heap storage for the element loops. */
final class Nd4jTensor extends ViewTensor<Nd4jTensor> {
    final Nd4jBackend backend;
    final INDArray arr;
    /** The whole underlying buffer; element (i, j) is at {@code offset + i * cols + j}. */
    final FloatBuffer buf;

    Nd4jTensor(Nd4jBackend backend, INDArray arr, FloatBuffer buf, int offset, int rows, int cols, Nd4jTensor owner) {
        super(offset, rows, cols, owner);
        this.backend = backend;
        this.arr = arr;
        this.buf = buf;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    /** A view over the root storage: a new array header on the same buffer, never a copy. */
    @Override
    protected Nd4jTensor view(int start, int r, int c) {
        Nd4jTensor root = root();
        INDArray view = (r == 0 || c == 0) ? null
                : Nd4j.create(root.arr.data(), new long[] {r, c}, new long[] {c, 1}, start, 'c');
        return new Nd4jTensor(backend, view, buf, start, r, c, root);
    }

    @Override
    protected void release() {
        if (arr != null && !arr.wasClosed() && arr.closeable()) {
            arr.close();
        }
        backend.released(this, 4L * size());
    }
}
