package io.spherical.training;

import io.spherical.api.Collective;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What ends training between two steps, agreed by every worker of the group: a request to stop (Ctrl-C, SIGTERM: the
 * trainer checkpoints and returns) and the training-time budget ({@link TrainingConfig#maxTrainSeconds()}), which
 * ends the current epoch (interval) at the step where it is spent, so that a kind whose interval takes an hour and one
 * whose interval takes seconds both train for the budget and not for a whole interval more. The workers' clocks
 * differ, so each step's two answers are summed over the group in one all-reduce of two floats: whenever any worker
 * says yes, every worker stops at the same step. One process needs no collective.
 */
final class StopSignals {
    /** No stop. */
    static final int NONE = 0;
    /** A stop was requested: checkpoint and return. */
    static final int INTERRUPT = 1;
    /** The training-time budget is spent: end this epoch now; it is the last. */
    static final int BUDGET = 2;

    private final Collective group;
    private final AtomicBoolean stop;
    private final double budgetSeconds;
    private final float[] flags = new float[2];
    private boolean budgetSpent;

    StopSignals(Collective group, AtomicBoolean stop, double budgetSeconds) {
        this.group = group;
        this.stop = stop;
        this.budgetSeconds = budgetSeconds;
    }

    /**
     * After a step: {@link #INTERRUPT}, {@link #BUDGET} or {@link #NONE}, the same on every worker. {@code history}
     * holds the finished epochs (their training seconds count), {@code epochStartNanos} when this epoch's training began.
     */
    int afterStep(List<HistoryRow> history, long epochStartNanos) {
        boolean interrupt = stop.get();
        boolean spent = false;
        if (budgetSeconds > 0) {
            double trained = (System.nanoTime() - epochStartNanos) / 1e9;
            for (int i = 0; i < history.size(); i++) {
                trained += history.get(i).seconds();
            }
            spent = trained >= budgetSeconds;
        }
        if (group.size() > 1) {
            flags[0] = interrupt ? 1f : 0f;
            flags[1] = spent ? 1f : 0f;
            group.allReduceSum(flags, 0, 2);
            interrupt = flags[0] > 0;
            spent = flags[1] > 0;
        }
        budgetSpent |= spent && !interrupt;
        return interrupt ? INTERRUPT : spent ? BUDGET : NONE;
    }

    /** Whether a step found the budget spent: the epoch that ends now is the run's last. */
    boolean budgetSpent() {
        return budgetSpent;
    }
}
