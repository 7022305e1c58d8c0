package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;

/** The Z-loss with its defaults (margin derived from D for the top 10) meets the loss contract. */
class ZLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new ZLoss();
    }

    /** z is the standardised score: invariant to o -> o + kappa (docs/ALGORITHM.md 2.1). */
    @Override
    protected boolean shiftInvariant() {
        return true;
    }

    /** ... and to o -> lambda o, lambda > 0. */
    @Override
    protected boolean scaleInvariant() {
        return true;
    }
}
