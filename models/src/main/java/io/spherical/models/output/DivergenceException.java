package io.spherical.models.output;

import io.spherical.api.UserException;
import java.nio.file.Path;

/**
 * Training produced non-finite values or an update the layer cannot take; the message says what, where (epoch and
 * step, once the trainer knows them) and how to recover. A typed exception, so that callers such as the experiment
 * grid can record a diverging configuration as a result.
 */
public final class DivergenceException extends UserException {
    private static final long serialVersionUID = 1L;
    private static final String FIX = " Fix: lower the learning rate (--lr) or resume from the last checkpoint.";

    private final String what;
    private final int epoch;
    private final long step;

    /** The exception for the described problem, before the trainer knows where it happened. */
    public DivergenceException(String what) {
        this(what, 0, 0, "Training diverged: " + what + "." + FIX);
    }

    private DivergenceException(String what, int epoch, long step, String message) {
        super(message);
        this.what = what;
        this.epoch = epoch;
        this.step = step;
    }

    /** The same problem located at a (1-based) epoch and step and its learning rate, naming the last good checkpoint. */
    public DivergenceException at(int atEpoch, long atStep, double learningRate, Path checkpoint) {
        DivergenceException e = new DivergenceException(what, atEpoch, atStep, "Training diverged: " + what + " (epoch "
                + atEpoch + ", step " + atStep + ", learning rate " + (float) learningRate + "). The last good checkpoint"
                + " is " + checkpoint + " (kept unchanged)." + FIX);
        e.initCause(this);
        return e;
    }

    /** What diverged. */
    public String what() {
        return what;
    }

    /** The 1-based epoch where it happened, 0 when not known. */
    public int epoch() {
        return epoch;
    }

    /** The 1-based step where it happened, 0 when not known. */
    public long step() {
        return step;
    }
}
