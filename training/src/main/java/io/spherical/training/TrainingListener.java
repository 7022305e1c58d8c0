package io.spherical.training;

import java.nio.file.Path;
import java.util.List;

/** Progress callbacks of a {@link Trainer} (the command line draws progress bars with them). */
public interface TrainingListener {
    /** A one-line status message (vocabulary built, checkpoint written ...). */
    default void status(String message) {
    }

    /** An epoch starts with this many training examples. */
    default void epochStarted(int epoch, long examples) {
    }

    /** A minibatch was trained; {@code done} examples so far in this epoch. */
    default void batchDone(long done, double loss) {
    }

    /** The epoch's training pass ended. */
    default void epochTrained(int epoch) {
    }

    /** Evaluation of a split starts with this many examples. */
    default void evaluationStarted(String split, long examples) {
    }

    /** Evaluation progress. */
    default void evaluated(long done) {
    }

    /** Evaluation of a split ended. */
    default void evaluationEnded(String split) {
    }

    /** An epoch ended with its validation metrics. */
    default void epochEnded(int epoch, Metrics validation, double trainLoss, double examplesPerSecond) {
    }

    /**
     * The checkpoint at the end of an epoch was written; {@code history} holds every epoch of the run so far (earlier
     * attempts included when it was resumed), the last one being the epoch just saved.
     */
    default void checkpointed(List<HistoryRow> history, Path checkpoint) {
    }
}
