package io.spherical.training.protocol;

import io.spherical.api.UserException;
import java.util.List;
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
 * @param budgets        training seconds at which a final run's best model so far is also tested (what a user who
 *                       stopped training then would have)
 * @param vocabSize      at most this many words (0: no limit; see {@code --vocab-size})
 * @param tuneSeconds    wall-clock budget of a tuning candidate's training (0: none; its intervals bound it)
 * @param finalSeconds   wall-clock budget of a final run's training (0: none): kinds of very different step costs then
 *                       get the same time, not the same number of steps
 */
public record Settings(long interval, int tuneIntervals, int maxIntervals, int patience, long evalExamples, int seeds,
                       Set<String> seeded, int minCount, List<Double> budgets, int vocabSize, double tuneSeconds,
                       double finalSeconds) {

    /** The time budgets of the protocol: 5, 15 and 60 minutes of training. */
    public static final List<Double> BUDGETS = List.of(300.0, 900.0, 3600.0);

    /** The sizes without a vocabulary limit or wall-clock budgets. */
    public Settings(long interval, int tuneIntervals, int maxIntervals, int patience, long evalExamples, int seeds,
                    Set<String> seeded, int minCount, List<Double> budgets) {
        this(interval, tuneIntervals, maxIntervals, patience, evalExamples, seeds, seeded, minCount, budgets, 0, 0, 0);
    }

    /** Checks every value. */
    public Settings {
        seeded = Set.copyOf(seeded);
        budgets = List.copyOf(budgets);
        if (interval < 1 || tuneIntervals < 1 || maxIntervals < 1 || patience < 1 || evalExamples < 0 || seeds < 1
                || minCount < 1 || budgets.stream().anyMatch(b -> !(b > 0)) || vocabSize < 0 || !(tuneSeconds >= 0)
                || !(finalSeconds >= 0)) {
            throw new UserException("The protocol's sizes must be positive (interval " + interval + ", tuning "
                    + tuneIntervals + ", final " + maxIntervals + " intervals, patience " + patience + ", seeds " + seeds
                    + ", budgets " + budgets + ", vocabulary " + vocabSize + ", time budgets " + tuneSeconds + " s and "
                    + finalSeconds + " s). Fix: pass positive values.");
        }
    }
}
