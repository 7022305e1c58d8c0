package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;

/** The factored-layer suite on the ND4J backend (found by name, so models names no backend class). */
class Nd4jFactoredLayerTest extends FactoredLayerContract {
    @Override
    protected Backend createBackend() {
        return BackendDiscovery.discover().create("nd4j");
    }
}
