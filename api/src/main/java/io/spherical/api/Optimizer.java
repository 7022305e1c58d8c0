package io.spherical.api;

import java.util.List;
import java.util.Map;

/**
 * An optimizer of ordinary parameters (dense layers), found with {@link java.util.ServiceLoader} like losses:
 * one class with a public no-argument constructor plus a line in {@code META-INF/services/io.spherical.api.Optimizer}.
 * Immutable; {@link #updater} creates the mutable per-parameter state on a backend.
 *
 * <p>The factored output layer does not use an optimizer: it performs its own exact SGD step.
 */
public interface Optimizer {

    /** The name users select it by, e.g. {@code adam}. */
    String name();

    /** One line saying what it is. */
    String description();

    /** Its hyperparameters with defaults (the learning rate is not one: it comes from the schedule). */
    default List<Hyperparameter> parameters() {
        return List.of();
    }

    /** Current hyperparameter values by name. */
    default Map<String, Double> values() {
        return Map.of();
    }

    /** A copy with the given hyperparameters changed; rejects unknown names and invalid values. */
    Optimizer configure(Map<String, Double> values);

    /** A new updater whose state lives on {@code backend}. */
    Updater updater(Backend backend);

    /** Applies the optimizer to parameters, keeping its state (moments, accumulators) per parameter. */
    interface Updater extends AutoCloseable {
        /** {@code param <- param - step(grad)} with learning rate lr; grad may be overwritten. */
        void update(String name, Tensor param, Tensor grad, float lr);

        /** The state tensors by name ({@code <param>/<slot>}), for checkpoints; empty when stateless. */
        Map<String, Tensor> state();

        /** Creates the state of a parameter before it has been updated (so a checkpoint can restore it). */
        void register(String name, Tensor param);

        /** Releases the state. */
        @Override
        void close();
    }
}
