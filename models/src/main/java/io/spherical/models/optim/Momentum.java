package io.spherical.models.optim;

import io.spherical.api.Backend;
import io.spherical.api.Hyperparameter;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import java.util.List;
import java.util.Map;

/** SGD with heavy-ball momentum: {@code v = mu v + g; p -= lr v}. */
public final class Momentum extends BaseOptimizer {
    /** Default mu = 0.9. */
    public Momentum() {
        this(Map.of());
    }

    private Momentum(Map<String, Double> values) {
        super(values);
    }

    @Override
    public String name() {
        return "momentum";
    }

    @Override
    public String description() {
        return "SGD with momentum, v = mu v + g, p -= lr v";
    }

    @Override
    public List<Hyperparameter> parameters() {
        return List.of(new Hyperparameter("mu", 0.9, "momentum coefficient, >= 0"));
    }

    @Override
    Optimizer with(Map<String, Double> values) {
        return new Momentum(values);
    }

    @Override
    List<String> slots() {
        return List.of("velocity");
    }

    @Override
    void apply(Backend b, Tensor param, Tensor grad, Tensor[] s, long t, float lr) {
        b.scale((float) value("mu"), s[0]);
        b.axpy(1f, grad, s[0]);
        b.axpy(-lr, s[0], param);
    }
}
