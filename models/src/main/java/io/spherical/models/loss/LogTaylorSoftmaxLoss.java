package io.spherical.models.loss;

import io.spherical.api.SphericalLoss;
import java.util.Map;

/**
 * Log-Taylor softmax: the softmax with exp replaced by its second-order Taylor expansion {@code 1 + o + o^2/2}
 * (always positive), {@code f = -log(1 + a + a^2/2) + log(D + s + q/2)}. Normalised.
 */
public final class LogTaylorSoftmaxLoss implements SphericalLoss {

    @Override
    public String name() {
        return "log-taylor-softmax";
    }

    @Override
    public String description() {
        return "negative log of the Taylor softmax (1 + o + o^2/2 normalised); a probability, so perplexity is defined";
    }

    @Override
    public SphericalLoss configure(Map<String, Double> values) {
        SphericalLoss.requireKnown(this, values);
        return this;
    }

    @Override
    public double evaluate(double q, double s, double a, long classes, double[] partials) {
        double t = classes + s + q / 2;
        double num = 1 + a + a * a / 2;
        partials[0] = 0.5 / t;
        partials[1] = 1 / t;
        partials[2] = -(1 + a) / num;
        return -Math.log(num) + Math.log(t);
    }

    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public String toString() {
        return name();
    }
}
