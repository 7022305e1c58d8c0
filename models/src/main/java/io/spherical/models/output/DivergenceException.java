package io.spherical.models.output;

import io.spherical.api.UserException;

/** Training produced non-finite values or an ill-conditioned update; the message says what and how to recover. */
public final class DivergenceException extends UserException {
    private static final long serialVersionUID = 1L;

    /** The exception for the described problem. */
    public DivergenceException(String what) {
        super("Training diverged: " + what + ". Fix: lower the learning rate (--lr) or resume from the last checkpoint.");
    }
}
