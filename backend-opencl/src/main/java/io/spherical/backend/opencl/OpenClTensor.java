package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import org.jocl.CL;
import org.jocl.cl_mem;

/** A row-major float32 matrix in an OpenCL buffer; views share the buffer with an offset (in floats). */
final class OpenClTensor implements Tensor {
    final OpenClBackend backend;
    final cl_mem mem;
    final int offset;
    private final int rows;
    private final int cols;
    private final OpenClTensor owner;
    private boolean closed;

    OpenClTensor(OpenClBackend backend, cl_mem mem, int offset, int rows, int cols, OpenClTensor owner) {
        this.backend = backend;
        this.mem = mem;
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
        return new OpenClTensor(backend, mem, offset + from * cols, to - from, cols, owner == null ? this : owner);
    }

    @Override
    public Tensor reshape(int newRows, int newCols) {
        if ((long) newRows * newCols != size()) {
            throw new IllegalArgumentException("cannot reshape " + shape() + " to " + newRows + "x" + newCols);
        }
        return new OpenClTensor(backend, mem, offset, newRows, newCols, owner == null ? this : owner);
    }

    @Override
    public boolean isClosed() {
        return owner == null ? closed : owner.isClosed();
    }

    @Override
    public void close() {
        if (owner == null && !closed) {
            closed = true;
            CL.clReleaseMemObject(mem);
            backend.released(Math.max(1, size()) * (long) org.jocl.Sizeof.cl_float);
        }
    }

    void checkOpen() {
        if (isClosed()) {
            throw new IllegalStateException("tensor " + shape() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "OpenClTensor[" + shape() + "]";
    }
}
