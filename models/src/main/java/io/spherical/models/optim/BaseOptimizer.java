package io.spherical.models.optim;

import io.spherical.api.Backend;
import io.spherical.api.Hyperparameter;
import io.spherical.api.Optimizer;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Shared plumbing of the built-in optimizers: validated hyperparameters and named state slots per parameter. */
abstract class BaseOptimizer implements Optimizer {
    private final Map<String, Double> values;

    BaseOptimizer(Map<String, Double> values) {
        this.values = Map.copyOf(values);
        for (Hyperparameter p : parameters()) {
            double v = this.values.getOrDefault(p.name(), p.defaultValue());
            if (!Double.isFinite(v) || v < 0 || (p.name().startsWith("beta") && v >= 1)) {
                throw new UserException("Optimizer '" + name() + "' parameter " + p.name() + " = " + v
                        + " is invalid (" + p.description() + ").");
            }
        }
    }

    /** The value of a hyperparameter (its default when not set). */
    double value(String name) {
        return values.getOrDefault(name, parameters().stream().filter(p -> p.name().equals(name)).findFirst()
                .orElseThrow().defaultValue());
    }

    @Override
    public Map<String, Double> values() {
        Map<String, Double> all = new LinkedHashMap<>();
        parameters().forEach(p -> all.put(p.name(), value(p.name())));
        return all;
    }

    @Override
    public Optimizer configure(Map<String, Double> changes) {
        for (String k : changes.keySet()) {
            if (parameters().stream().noneMatch(p -> p.name().equals(k))) {
                throw new UserException("Optimizer '" + name() + "' has no parameter '" + k + "'. Its parameters: "
                        + (parameters().isEmpty() ? "none" : String.join(", ", parameters().stream().map(Hyperparameter::name).toList())) + ".");
            }
        }
        Map<String, Double> merged = new HashMap<>(values);
        merged.putAll(changes);
        return with(merged);
    }

    abstract Optimizer with(Map<String, Double> values);

    /** Names of the state slots kept per parameter, e.g. {@code m}, {@code v}. */
    abstract List<String> slots();

    /** One update given the parameter's slots (zero-initialised, same shape) and the update count t (from 1). */
    abstract void apply(Backend b, Tensor param, Tensor grad, Tensor[] slots, long t, float lr);

    /** Whether {@link #apply} needs the update count (kept on the backend as the 1x1 state slot {@code t}). */
    boolean counted() {
        return false;
    }

    @Override
    public Updater updater(Backend backend) {
        return new Updater() {
            private final Map<String, Tensor[]> state = new LinkedHashMap<>();
            private final Map<String, Tensor> counts = new LinkedHashMap<>();
            private final float[] one = new float[1];

            @Override
            public void register(String name, Tensor param) {
                state.computeIfAbsent(name, k -> {
                    Tensor[] s = new Tensor[slots().size()];
                    for (int i = 0; i < s.length; i++) {
                        s[i] = backend.zeros(param.rows(), param.cols());
                    }
                    return s;
                });
                if (counted()) {
                    counts.computeIfAbsent(name, k -> backend.zeros(1, 1));
                }
            }

            @Override
            public void update(String name, Tensor param, Tensor grad, float lr) {
                register(name, param);
                long t = 0;
                if (counted()) {
                    Tensor c = counts.get(name);
                    backend.addScalar(1f, c);
                    backend.download(c, one);
                    t = (long) one[0];
                }
                apply(backend, param, grad, state.get(name), t, lr);
            }

            @Override
            public Map<String, Tensor> state() {
                Map<String, Tensor> out = new LinkedHashMap<>();
                state.forEach((name, s) -> {
                    for (int i = 0; i < s.length; i++) {
                        out.put(name + "/" + slots().get(i), s[i]);
                    }
                });
                counts.forEach((name, c) -> out.put(name + "/t", c));
                return out;
            }

            @Override
            public void close() {
                state.values().forEach(s -> {
                    for (Tensor t : s) {
                        t.close();
                    }
                });
                state.clear();
                counts.values().forEach(Tensor::close);
                counts.clear();
            }
        };
    }

    @Override
    public String toString() {
        return name() + values();
    }
}
