package com.example.reference;

import io.spherical.api.Backend;
import io.spherical.api.spi.ViewTensor;

/**
 * A tensor of the reference backend: a row-major block of a Java {@code float[]}. Element (i, j) is at
 * {@code data[offset + i * cols + j]}; a view ({@code rowRange}, {@code reshape}) is another block of the same array,
 * which is why an operation may touch only the elements of its tensors' blocks.
 */
final class ReferenceTensor extends ViewTensor<ReferenceTensor> {
    final ReferenceBackend backend;
    /** The root's storage, shared with every view of it. */
    final float[] data;

    /** A root tensor ({@code root == null}) or a view of {@code root}'s storage. */
    ReferenceTensor(ReferenceBackend backend, float[] data, int offset, int rows, int cols, ReferenceTensor root) {
        super(offset, rows, cols, root);
        this.backend = backend;
        this.data = data;
    }

    /** Where element (i, j) is in {@link #data}. */
    int at(int i, int j) {
        return offset + i * cols() + j;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    protected ReferenceTensor view(int start, int r, int c) {
        return new ReferenceTensor(backend, data, start, r, c, root());
    }

    @Override
    protected void release() {
        backend.released(this, 4L * size());
    }
}
