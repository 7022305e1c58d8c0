package com.example.spherical;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.LossContract;

/**
 * The plugin meets the loss contract: its partials match finite differences (ordinary, equal and extreme outputs,
 * huge margins, a million classes), it is finite everywhere, its hyperparameters round-trip, and it is scale invariant
 * (c = a / sqrt(q) does not change when every output is multiplied by the same positive number).
 */
class CosineMarginLossContractTest extends LossContract {
    @Override
    protected SphericalLoss createLoss() {
        return new CosineMarginLoss();
    }

    @Override
    protected boolean scaleInvariant() {
        return true;
    }
}
