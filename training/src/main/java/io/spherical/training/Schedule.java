package io.spherical.training;

import io.spherical.api.UserException;
import java.util.Locale;

/** How the learning rate moves during training. */
public enum Schedule {
    /** The same rate throughout. */
    CONSTANT,
    /** Down to zero in a straight line over the whole run. */
    LINEAR,
    /** Halved after every epoch whose validation top-10 error did not improve. */
    PLATEAU;

    /** The schedule named {@code constant}, {@code linear} or {@code plateau} (any case). */
    public static Schedule parse(String name) {
        for (Schedule s : values()) {
            if (s.label().equals(name.toLowerCase(Locale.ROOT))) {
                return s;
            }
        }
        throw new UserException("--schedule must be constant, linear or plateau, got '" + name + "'.");
    }

    /** Lower-case name, as on the command line. */
    public String label() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The rate at a step: {@code base * scale}, times the remaining fraction of the run for LINEAR. */
    double rate(double base, double scale, long step, double totalSteps) {
        double lr = base * scale;
        return this == LINEAR ? lr * Math.max(0.0, 1.0 - step / Math.max(1.0, totalSteps)) : lr;
    }

    /** The scale after an epoch: halved by PLATEAU when validation did not improve. */
    double scaleAfterEpoch(double scale, boolean improved) {
        return this == PLATEAU && !improved ? scale * 0.5 : scale;
    }
}
