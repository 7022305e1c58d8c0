package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;
import java.util.Map;

/** The Z-loss with a fixed margin and non-default sharpness (a = 3, b = 2; then a = 0.3, b = -1) meets the contract. */
class FixedMarginZLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new ZLoss(3.0, 2.0);
    }

    @Override
    protected Map<String, Double> otherValues() {
        return Map.of("a", 0.3, "b", -1.0, "top", 0.0);
    }

    @Override
    protected boolean shiftInvariant() {
        return true;
    }

    @Override
    protected boolean scaleInvariant() {
        return true;
    }
}
