package io.spherical.models.lm;

import io.spherical.api.UserException;
import java.util.Arrays;
import java.util.Locale;

/** Which output layer a model has. */
public enum OutputKind {
    /** Spherical loss with the exact factored update (cost independent of D). */
    FACTORED,
    /** Spherical loss computed densely (O(D d) per example). */
    DENSE,
    /** Log-softmax. */
    SOFTMAX,
    /** Two-level hierarchical softmax. */
    HSM,
    /** Sampled softmax: K log-uniform negatives shared by the minibatch, logQ-corrected; evaluated exactly. */
    SAMPLED,
    /** Adaptive softmax: a frequent-word head plus tail clusters of reduced width; exact probabilities. */
    ADAPTIVE;

    /** Parses {@code factored|dense|softmax|hsm|sampled|adaptive}. */
    public static OutputKind parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new UserException("Unknown output layer '" + s + "'. Fix: use one of "
                    + Arrays.stream(values()).map(OutputKind::label).toList() + ".");
        }
    }

    /** Lower-case name. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether the layer takes a spherical loss. */
    public boolean spherical() {
        return this == FACTORED || this == DENSE;
    }
}
