package io.spherical.training.protocol;

import io.spherical.api.UserException;
import java.util.Set;

/**
 * The sizes of the protocol. Training is measured in intervals of {@code interval} examples (a fresh random part of
 * the training split each time); validation is evaluated after every interval on at most {@code evalExamples}.
 *
 * @param interval       training examples between two validations
 * @param tuneIntervals  intervals each candidate trains for in the tuning stage
 * @param maxIntervals   intervals a final run trains for at most
 * @param patience       a final run stops after this many intervals without a better validation top-10 error
 * @param evalExamples   validation and test examples at most (0 = all)
 * @param seeds          final runs per kind in {@code seeded}; other kinds get one
 * @param seeded         the kinds repeated with several seeds (the fast ones)
 * @param minCount       words seen fewer times become {@code <unk>} (one vocabulary for every run)
 */
public record Settings(long interval, int tuneIntervals, int maxIntervals, int patience, long evalExamples, int seeds,
                       Set<String> seeded, int minCount) {

    /** Checks every value. */
    public Settings {
        seeded = Set.copyOf(seeded);
        if (interval < 1 || tuneIntervals < 1 || maxIntervals < 1 || patience < 1 || evalExamples < 0 || seeds < 1
                || minCount < 1) {
            throw new UserException("The protocol's sizes must be positive (interval " + interval + ", tuning "
                    + tuneIntervals + ", final " + maxIntervals + " intervals, patience " + patience + ", seeds " + seeds
                    + "). Fix: pass positive values.");
        }
    }
}
