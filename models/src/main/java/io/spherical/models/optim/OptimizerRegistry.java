package io.spherical.models.optim;

import io.spherical.api.Optimizer;
import io.spherical.api.spi.Services;
import io.spherical.api.UserException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;

/** Every {@link Optimizer} found with ServiceLoader, looked up by name. */
public final class OptimizerRegistry {
    private final List<Optimizer> optimizers;

    private OptimizerRegistry(List<Optimizer> optimizers) {
        this.optimizers = List.copyOf(optimizers);
    }

    /** Discovers optimizers visible to the thread's context class loader. */
    public static OptimizerRegistry discover() {
        List<Optimizer> found = new ArrayList<>(Services.load(Optimizer.class,
                Services.pluginLoader(OptimizerRegistry.class), new ArrayList<>()));
        found.sort(Comparator.comparing(Optimizer::name));
        return new OptimizerRegistry(found);
    }

    /** All optimizers with defaults, by name. */
    public List<Optimizer> all() {
        return optimizers;
    }

    /** The optimizer of that name with the given hyperparameters. */
    public Optimizer create(String name, Map<String, Double> params) {
        return optimizers.stream().filter(o -> o.name().equalsIgnoreCase(name)).findFirst()
                .orElseThrow(() -> new UserException("Unknown optimizer '" + name + "'. Known optimizers: "
                        + String.join(", ", optimizers.stream().map(Optimizer::name).toList())
                        + ". Fix: pass one of them to --optimizer."))
                .configure(params);
    }
}
