package io.spherical.models.optim;

import io.spherical.api.Backend;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import java.util.List;
import java.util.Map;

/** Plain stochastic gradient descent: {@code p -= lr g}. */
public final class Sgd extends BaseOptimizer {
    /** SGD (no hyperparameters besides the learning rate). */
    public Sgd() {
        super(Map.of());
    }

    @Override
    public String name() {
        return "sgd";
    }

    @Override
    public String description() {
        return "plain SGD, p -= lr g";
    }

    @Override
    Optimizer with(Map<String, Double> values) {
        return this;
    }

    @Override
    List<String> slots() {
        return List.of();
    }

    @Override
    void apply(Backend b, Tensor param, Tensor grad, Tensor[] slots, long t, float lr) {
        b.axpy(-lr, grad, param);
    }
}
