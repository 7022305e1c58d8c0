package io.spherical.models.lm;

import io.spherical.api.UnaryOp;
import io.spherical.api.UserException;
import java.util.Locale;

/** The activation of the hidden layers. */
public enum Activation {
    /** max(0, x). */
    RELU(UnaryOp.RELU),
    /** tanh(x). */
    TANH(UnaryOp.TANH);

    private final UnaryOp op;

    Activation(UnaryOp op) {
        this.op = op;
    }

    /** The backend operation that computes it. */
    public UnaryOp op() {
        return op;
    }

    /** Lower-case name, as on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The activation named {@code relu} or {@code tanh} (any case). */
    public static Activation parse(String name) {
        for (Activation a : values()) {
            if (a.label().equals(name.toLowerCase(Locale.ROOT))) {
                return a;
            }
        }
        throw new UserException("--activation must be relu or tanh, got '" + name + "'.");
    }
}
