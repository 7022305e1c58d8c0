package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;

/** The log-softmax and hierarchical-softmax suite on the ND4J backend. */
class Nd4jNormalisedOutputTest extends NormalisedOutputContract {
    @Override
    protected Backend createBackend() {
        return BackendDiscovery.discover().create("nd4j");
    }
}
