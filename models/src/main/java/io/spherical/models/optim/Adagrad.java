package io.spherical.models.optim;

import io.spherical.api.Backend;
import io.spherical.api.Hyperparameter;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.List;
import java.util.Map;

/** Adagrad: {@code a += g^2; p -= lr g / (sqrt(a) + eps)}. */
public final class Adagrad extends BaseOptimizer {
    /** Default eps = 1e-8. */
    public Adagrad() {
        this(Map.of());
    }

    private Adagrad(Map<String, Double> values) {
        super(values);
    }

    @Override
    public String name() {
        return "adagrad";
    }

    @Override
    public String description() {
        return "Adagrad, per-coordinate steps lr / sqrt(sum of squared gradients)";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("eps", 1e-8, "added to the root, >= 0"));
    }

    @Override
    Optimizer with(Map<String, Double> values) {
        return new Adagrad(values);
    }

    @Override
    List<String> slots() {
        return List.of("sum_sq", "scratch");
    }

    @Override
    void apply(Backend b, Tensor param, Tensor grad, Tensor[] s, long t, float lr) {
        b.map(UnaryOp.SQUARE, grad, s[1]);
        b.axpy(1f, s[1], s[0]);
        b.map(UnaryOp.SQRT, s[0], s[1]);
        b.addScalar((float) value("eps"), s[1]);
        b.map(UnaryOp.RECIPROCAL, s[1], s[1]);
        b.mul(grad, s[1], s[1]);
        b.axpy(-lr, s[1], param);
    }
}
