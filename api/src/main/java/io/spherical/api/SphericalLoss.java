package io.spherical.api;

import java.util.List;
import java.util.Map;

/**
 * A loss of the spherical family: a scalar function {@code f(q, s, a; D)} of the three numbers the factored output
 * layer can compute without forming the outputs, with its three partial derivatives (docs/ALGORITHM.md 1-2).
 * Here {@code q = sum_k o_k^2}, {@code s = sum_k o_k}, {@code a = o_target} and {@code D} is the number of classes.
 *
 * <p>Implementations are found with {@link java.util.ServiceLoader}: a plugin is one class with a public no-argument
 * constructor (giving the default hyperparameters) plus one line in
 * {@code META-INF/services/io.spherical.api.SphericalLoss}. Instances are immutable; {@link #configure} returns a new one.
 */
public interface SphericalLoss {

    /** The name users select it by, e.g. {@code z-loss}. */
    String name();

    /** One line saying what it is. */
    String description();

    /** The hyperparameters it accepts, with defaults (empty when it has none). */
    default List<Hyperparameter> parameters() {
        return List.of();
    }

    /** The current value of every hyperparameter, by name. */
    default Map<String, Double> values() {
        return Map.of();
    }

    /**
     * The values the loss actually uses in a layer of {@code classes} classes, by name: {@link #values()} with every
     * setting derived from D resolved (the Z-loss's margin b computed from {@code top}). Recorded in run.json.
     */
    default Map<String, Double> effectiveValues(long classes) {
        return values();
    }

    /**
     * A copy with the given hyperparameters changed (the others keep their current values).
     *
     * @throws UserException for an unknown name or an invalid value, naming the parameter and the valid range
     */
    SphericalLoss configure(Map<String, Double> values);

    /**
     * The loss of one example and its partials.
     *
     * @param q        sum of squared outputs
     * @param s        sum of outputs
     * @param a        the target's output
     * @param classes  D, the number of classes
     * @param partials receives {@code df/dq, df/ds, df/da} at indices 0, 1, 2
     * @return f(q, s, a; D)
     */
    double evaluate(double q, double s, double a, long classes, double[] partials);

    /** Whether {@code exp(-f)} is a probability normalised over the classes, so that perplexity is defined. */
    default boolean normalised() {
        return false;
    }

    /** Checks that {@code values} names only declared parameters; shared by implementations. */
    static void requireKnown(SphericalLoss loss, Map<String, Double> values) {
        for (String k : values.keySet()) {
            if (loss.parameters().stream().noneMatch(p -> p.name().equals(k))) {
                throw new UserException("Loss '" + loss.name() + "' has no parameter '" + k + "'. Its parameters: "
                        + (loss.parameters().isEmpty() ? "none" : String.join(", ",
                        loss.parameters().stream().map(Hyperparameter::name).toList())) + ".");
            }
        }
    }
}
