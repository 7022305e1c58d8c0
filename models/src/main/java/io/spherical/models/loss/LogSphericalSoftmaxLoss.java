package io.spherical.models.loss;

import io.spherical.api.Hyperparameter;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.List;
import java.util.Map;

/**
 * Log-spherical softmax: {@code p_c = (a^2 + eps) / (q + D eps)}, {@code f = -log(a^2 + eps) + log(q + D eps)}.
 * Normalised. {@code eps} (default 1e-3) keeps the probability of a zero output above zero.
 */
public final class LogSphericalSoftmaxLoss implements SphericalLoss {
    private final double eps;

    /** The default eps = 1e-3. */
    public LogSphericalSoftmaxLoss() {
        this(1e-3);
    }

    /** A spherical softmax with the given eps &gt; 0. */
    public LogSphericalSoftmaxLoss(double eps) {
        if (!(eps > 0) || Double.isInfinite(eps)) {
            throw new UserException("log-spherical-softmax parameter eps must be a finite number > 0, got " + eps
                    + ". Fix: pass --eps with a positive value such as 0.001.");
        }
        this.eps = eps;
    }

    @Override
    public String name() {
        return "log-spherical-softmax";
    }

    @Override
    public String description() {
        return "negative log of the spherical softmax (o^2 + eps normalised); a probability, so perplexity is defined";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("eps", 1e-3, "added to every o^2, > 0"));
    }

    @Override
    public Map<String, Double> values() {
        return Map.of("eps", eps);
    }

    @Override
    public SphericalLoss configure(Map<String, Double> values) {
        SphericalLoss.requireKnown(this, values);
        return new LogSphericalSoftmaxLoss(values.getOrDefault("eps", eps));
    }

    @Override
    public double evaluate(double q, double s, double a, long classes, double[] partials) {
        double num = a * a + eps;
        double den = q + classes * eps;
        partials[0] = 1 / den;
        partials[1] = 0;
        partials[2] = -2 * a / num;
        return -Math.log(num) + Math.log(den);
    }

    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public String toString() {
        return name() + "(eps=" + eps + ")";
    }
}
