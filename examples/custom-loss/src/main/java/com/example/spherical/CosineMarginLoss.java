package com.example.spherical;

import io.spherical.api.Hyperparameter;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An example plugin: a smooth margin on the target's share of the output norm, c = a / sqrt(q) (the cosine between
 * the outputs and the target's one-hot vector): {@code f = softplus(k (margin - c)) / k}. It needs only q and a, so
 * the factored layer trains it at a cost independent of the number of classes.
 */
public final class CosineMarginLoss implements SphericalLoss {
    private final double margin;
    private final double k;

    /** Defaults: margin 0.5, sharpness 5. */
    public CosineMarginLoss() {
        this(0.5, 5.0);
    }

    private CosineMarginLoss(double margin, double k) {
        if (!(k > 0) || !Double.isFinite(margin)) {
            throw new UserException("cosine-margin needs k > 0 and a finite margin, got k=" + k + ", margin=" + margin + ".");
        }
        this.margin = margin;
        this.k = k;
    }

    @Override
    public String name() {
        return "cosine-margin";
    }

    @Override
    public String description() {
        return "example plugin: softplus(k (margin - a / sqrt(q))) / k";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("margin", 0.5, "wanted cosine of the target, in (-1, 1)"),
                new Hyperparameter("k", 5.0, "sharpness, > 0"));
    }

    @Override
    public Map<String, Double> values() {
        return Map.of("margin", margin, "k", k);
    }

    @Override
    public SphericalLoss configure(Map<String, Double> values) {
        SphericalLoss.requireKnown(this, values);
        Map<String, Double> v = new HashMap<>(values());
        v.putAll(values);
        return new CosineMarginLoss(v.get("margin"), v.get("k"));
    }

    @Override
    public double evaluate(double q, double s, double a, long classes, double[] partials) {
        double qq = Math.max(q, 1e-12);
        double root = Math.sqrt(qq);
        double c = a / root;
        double x = k * (margin - c);
        double loss = (Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)))) / k;
        double dc = -(x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
        partials[0] = q > 1e-12 ? dc * (-a / (2 * qq * root)) : 0;
        partials[1] = 0;
        partials[2] = dc / root;
        return loss;
    }
}
