package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import java.util.Map;

/** Squared error against the one-hot target: {@code ||o - e_c||^2 = q - 2a + 1}. */
public final class SquaredErrorLoss implements SphericalLoss {

    @Override
    public String name() {
        return "squared-error";
    }

    @Override
    public String description() {
        return "squared error to the one-hot target, q - 2a + 1";
    }

    @Override
    public SphericalLoss configure(Map<String, Double> values) {
        SphericalLoss.requireKnown(this, values);
        return this;
    }

    @Override
    public double evaluate(double q, double s, double a, long classes, double[] partials) {
        partials[0] = 1;
        partials[1] = 0;
        partials[2] = -2;
        return q - 2 * a + 1;
    }

    @Override
    public String toString() {
        return name();
    }
}
