package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.api.spi.ViewTensor;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** A row-major float32 ND4J array plus a direct view of its off-heap storage for the element loops. */
final class Nd4jTensor extends ViewTensor<Nd4jTensor> {
    final Nd4jBackend backend;
    final INDArray arr;
    /** The whole underlying buffer; element (i, j) is at {@code offset + i * cols + j}. */
    final FloatBuffer buf;
    /** On the root: one pointer into the storage per GEMM operand (A, B, C), repositioned for each call. */
    private FloatPointer[] operands;

    Nd4jTensor(Nd4jBackend backend, INDArray arr, FloatBuffer buf, int offset, int rows, int cols, Nd4jTensor owner) {
        super(offset, rows, cols, owner);
        this.backend = backend;
        this.arr = arr;
        this.buf = buf;
    }

    /**
     * A native pointer to this tensor's first element for GEMM operand {@code slot} (0, 1, 2: A, B, C), without
     * allocating: the root keeps one pointer per slot, so A, B and C may be views of the same storage.
     */
    FloatPointer pointer(int slot) {
        Nd4jTensor r = root();
        if (r.operands == null) {
            Pointer base = r.arr.data().addressPointer();
            r.operands = new FloatPointer[] {new FloatPointer(base), new FloatPointer(base), new FloatPointer(base)};
        }
        return r.operands[slot].position(offset);
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
