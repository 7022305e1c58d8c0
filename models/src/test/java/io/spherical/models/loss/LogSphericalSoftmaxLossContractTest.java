package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;
import java.util.Map;

/** Log-spherical softmax meets the loss contract with eps = 1e-3 (the default) and eps = 0.1. */
class LogSphericalSoftmaxLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new LogSphericalSoftmaxLoss();
    }

    @Override
    protected Map<String, Double> otherValues() {
        return Map.of("eps", 0.1);
    }
}
