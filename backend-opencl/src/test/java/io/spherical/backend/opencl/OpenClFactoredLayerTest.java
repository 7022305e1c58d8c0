package io.spherical.backend.opencl;

import io.spherical.api.Backend;
import io.spherical.models.output.FactoredLayerContract;

/** The factored-layer equivalence suite (float32 OpenCL against the float64 dense reference). */
class OpenClFactoredLayerTest extends FactoredLayerContract {
    @Override
    protected Backend createBackend() {
        return OpenClSuites.create();
    }
}
