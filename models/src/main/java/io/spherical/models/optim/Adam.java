package io.spherical.models.optim;

import io.spherical.api.Backend;
import io.spherical.api.Hyperparameter;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.List;
import java.util.Map;

/** Adam (Kingma &amp; Ba) with bias correction. */
public final class Adam extends BaseOptimizer {
    /** Defaults beta1 = 0.9, beta2 = 0.999, eps = 1e-8. */
    public Adam() {
        this(Map.of());
    }

    private Adam(Map<String, Double> values) {
        super(values);
    }

    @Override
    public String name() {
        return "adam";
    }

    @Override
    public String description() {
        return "Adam with bias-corrected first and second moments";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("beta1", 0.9, "first-moment decay, in [0, 1)"),
                new Hyperparameter("beta2", 0.999, "second-moment decay, in [0, 1)"),
                new Hyperparameter("eps", 1e-8, "added to the root, >= 0"));
    }

    @Override
    Optimizer with(Map<String, Double> values) {
        return new Adam(values);
    }

    @Override
    List<String> slots() {
        return List.of("m", "v", "scratch");
    }

    @Override
    boolean counted() {
        return true;
    }

    @Override
    void apply(Backend b, Tensor param, Tensor grad, Tensor[] s, long t, float lr) {
        double b1 = value("beta1");
        double b2 = value("beta2");
        b.scale((float) b1, s[0]);
        b.axpy((float) (1 - b1), grad, s[0]);
        b.map(UnaryOp.SQUARE, grad, s[2]);
        b.scale((float) b2, s[1]);
        b.axpy((float) (1 - b2), s[2], s[1]);
        double stepSize = lr * Math.sqrt(1 - Math.pow(b2, t)) / (1 - Math.pow(b1, t));
        b.map(UnaryOp.SQRT, s[1], s[2]);
        b.addScalar((float) (value("eps") * Math.sqrt(1 - Math.pow(b2, t))), s[2]);
        b.map(UnaryOp.RECIPROCAL, s[2], s[2]);
        b.mul(s[0], s[2], s[2]);
        b.axpy((float) -stepSize, s[2], param);
    }
}
