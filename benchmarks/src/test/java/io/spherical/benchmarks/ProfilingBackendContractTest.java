package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.testkit.BackendContract;

/** The profiling decorator passes the backend contract: it hands every operation to the real backend unchanged. */
class ProfilingBackendContractTest extends BackendContract {
    @Override
    protected Backend createBackend() {
        ProfilingBackend p = new ProfilingBackend(BackendDiscovery.discover().create("nd4j"));
        p.recording(true);
        return p;
    }
}
