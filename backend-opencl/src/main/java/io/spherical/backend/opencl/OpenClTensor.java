package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.api.spi.ViewTensor;
import org.jocl.CL;
import org.jocl.cl_mem;

/** A row-major float32 matrix in an OpenCL buffer; views share the buffer with an offset (in floats). */
final class OpenClTensor extends ViewTensor<OpenClTensor> {
    final OpenClBackend backend;
    final cl_mem mem;

    OpenClTensor(OpenClBackend backend, cl_mem mem, int offset, int rows, int cols, OpenClTensor owner) {
        super(offset, rows, cols, owner);
        this.backend = backend;
        this.mem = mem;
    }

    @Override
    public Backend backend() {
        return backend;
    }

    @Override
    protected OpenClTensor view(int start, int r, int c) {
        return new OpenClTensor(backend, mem, start, r, c, root());
    }

    @Override
    protected void release() {
        CL.clReleaseMemObject(mem);
        backend.released(this, Math.max(1, size()) * (long) org.jocl.Sizeof.cl_float);
    }
}
