package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;

/** The sampled- and adaptive-softmax suite on the ND4J backend. */
class Nd4jBaselineOutputTest extends BaselineOutputContract {
    @Override
    protected Backend createBackend() {
        return BackendDiscovery.discover().create("nd4j");
    }
}
