package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.testkit.BackendContract;

/** The backend contract suite on OpenCL (PoCL in CI). */
class OpenClBackendContractTest extends BackendContract {
    @Override
    protected Backend createBackend() {
        return OpenClSuites.create();
    }
}
