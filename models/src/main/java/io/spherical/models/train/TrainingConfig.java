package io.spherical.models.train;

import io.spherical.api.UserException;
import java.util.Locale;
import java.util.Map;

/**
 * How a model is trained. Immutable.
 *
 * @param epochs           passes over the training split
 * @param batch            minibatch size
 * @param learningRate     initial learning rate (the output layer's SGD step and the optimizer's rate)
 * @param schedule         {@code constant}, {@code linear} (to zero over the run) or {@code plateau} (halve when the
 *                         validation top-10 error does not improve)
 * @param optimizer        optimizer of the dense layers (the factored layer always takes its exact SGD step)
 * @param optimizerParams  its hyperparameters
 * @param patience         stop after this many epochs without validation improvement (0 disables)
 * @param minCount         words seen fewer times in training become {@code <unk>}
 * @param maxTrainExamples examples per epoch at most (0 = all), for quick runs
 * @param maxEvalExamples  validation/test examples at most (0 = all)
 * @param checkpointEvery  also write a checkpoint every this many steps (0 = at epoch ends only)
 */
public record TrainingConfig(int epochs, int batch, double learningRate, String schedule, String optimizer,
                             Map<String, Double> optimizerParams, int patience, int minCount, long maxTrainExamples,
                             long maxEvalExamples, long checkpointEvery) {

    /** Copies the map. */
    public TrainingConfig {
        optimizerParams = Map.copyOf(optimizerParams);
        schedule = schedule.toLowerCase(Locale.ROOT);
    }

    /** The Brown demo defaults. */
    public static TrainingConfig brownDefault() {
        return new TrainingConfig(3, 200, 0.5, "constant", "sgd", Map.of(), 2, 4, 0, 0, 0);
    }

    /** Checks every value; the message names the option to change. */
    public TrainingConfig validate() {
        if (epochs < 1) {
            throw new UserException("--epochs must be >= 1, got " + epochs + ".");
        }
        if (batch < 1) {
            throw new UserException("--batch must be >= 1, got " + batch + ".");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new UserException("--lr must be a positive number, got " + learningRate + ".");
        }
        Schedule.parse(schedule);
        if (minCount < 1) {
            throw new UserException("--min-count must be >= 1, got " + minCount + ".");
        }
        if (patience < 0 || maxTrainExamples < 0 || maxEvalExamples < 0 || checkpointEvery < 0) {
            throw new UserException("--patience, --max-train, --max-eval and --checkpoint-every must be >= 0.");
        }
        return this;
    }

    /** A copy with other epochs. */
    public TrainingConfig withEpochs(int e) {
        return new TrainingConfig(e, batch, learningRate, schedule, optimizer, optimizerParams, patience, minCount,
                maxTrainExamples, maxEvalExamples, checkpointEvery);
    }

    /** The learning-rate schedule. */
    public Schedule scheduleType() {
        return Schedule.parse(schedule);
    }

    /** A copy with another minibatch size. */
    public TrainingConfig withBatch(int b) {
        return new TrainingConfig(epochs, b, learningRate, schedule, optimizer, optimizerParams, patience, minCount,
                maxTrainExamples, maxEvalExamples, checkpointEvery);
    }

    /** A copy with another schedule and patience. */
    public TrainingConfig withSchedule(String s, int p) {
        return new TrainingConfig(epochs, batch, learningRate, s, optimizer, optimizerParams, p, minCount,
                maxTrainExamples, maxEvalExamples, checkpointEvery);
    }

    /** A copy with another checkpoint interval. */
    public TrainingConfig withCheckpointEvery(long steps) {
        return new TrainingConfig(epochs, batch, learningRate, schedule, optimizer, optimizerParams, patience, minCount,
                maxTrainExamples, maxEvalExamples, steps);
    }

    /** A copy with other example limits. */
    public TrainingConfig withLimits(long train, long eval) {
        return new TrainingConfig(epochs, batch, learningRate, schedule, optimizer, optimizerParams, patience, minCount,
                train, eval, checkpointEvery);
    }

    /** A copy with another learning rate. */
    public TrainingConfig withLearningRate(double lr) {
        return new TrainingConfig(epochs, batch, lr, schedule, optimizer, optimizerParams, patience, minCount,
                maxTrainExamples, maxEvalExamples, checkpointEvery);
    }

}
