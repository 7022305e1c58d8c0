package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;

/** Squared error meets the loss contract. */
class SquaredErrorLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new SquaredErrorLoss();
    }
}
