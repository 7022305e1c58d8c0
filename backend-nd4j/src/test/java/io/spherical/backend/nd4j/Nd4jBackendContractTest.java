package io.spherical.backend.nd4j;

import io.spherical.api.Backend;
import io.spherical.testkit.BackendContract;

/** Runs the backend contract suite on ND4J. */
class Nd4jBackendContractTest extends BackendContract {
    @Override
    protected Backend createBackend() {
        return new Nd4jBackendProvider().create();
    }
}
