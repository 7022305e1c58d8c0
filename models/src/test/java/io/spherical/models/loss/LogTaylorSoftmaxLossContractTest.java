package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;

/** Log-Taylor softmax meets the loss contract (and, being normalised, sums to one over the classes). */
class LogTaylorSoftmaxLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new LogTaylorSoftmaxLoss();
    }
}
