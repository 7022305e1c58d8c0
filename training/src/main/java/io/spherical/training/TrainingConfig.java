package io.spherical.training;

import io.spherical.api.UserException;
import java.util.Map;
import java.util.Objects;

/**
 * How a model is trained. Immutable and valid by construction: impossible values are user errors naming the option
 * to change. Build one with {@link #builder()} (the Brown demo's values unless set) or change one with
 * {@link #toBuilder()}.
 *
 * @param epochs           passes over the training split
 * @param batch            minibatch size
 * @param learningRate     initial learning rate (the output layer's SGD step and the optimizer's rate)
 * @param schedule         how the learning rate moves
 * @param optimizer        optimizer of the dense layers (the factored layer always takes its exact SGD step)
 * @param optimizerParams  its hyperparameters
 * @param patience         stop after this many epochs without validation improvement (0 disables)
 * @param minCount         words seen fewer times in training become {@code <unk>}
 * @param maxTrainExamples examples per epoch at most (0 = all), for quick runs
 * @param maxEvalExamples  validation/test examples at most (0 = all)
 * @param checkpointEvery  also write a checkpoint every this many steps (0 = at epoch ends only)
 * @param vocabSize        at most this many words besides {@code </s>} and {@code <unk>}, the most frequent
 *                         (0 = no limit; runs recorded before it existed read 0)
 * @param maxTrainSeconds  training stops at the step where the run's training seconds (validation excluded) reach
 *                         this (0 = no limit), ending that epoch early (it is validated and is the last): a
 *                         wall-clock budget, so that kinds of very different step costs get the same time rather than
 *                         the same number of steps
 */
public record TrainingConfig(int epochs, int batch, double learningRate, Schedule schedule, String optimizer,
                             Map<String, Double> optimizerParams, int patience, int minCount, long maxTrainExamples,
                             long maxEvalExamples, long checkpointEvery, int vocabSize, double maxTrainSeconds) {

    /** Copies the map and checks every value. */
    public TrainingConfig {
        optimizerParams = Map.copyOf(optimizerParams);
        Objects.requireNonNull(schedule, "schedule");
        Objects.requireNonNull(optimizer, "optimizer");
        if (epochs < 1) {
            throw new UserException("--epochs must be >= 1, got " + epochs + ".");
        }
        if (batch < 1) {
            throw new UserException("--batch must be >= 1, got " + batch + ".");
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new UserException("--lr must be a positive number, got " + learningRate + ".");
        }
        if (!(maxTrainSeconds >= 0)) {
            throw new UserException("The training-time budget must be >= 0 seconds (0: none), got " + maxTrainSeconds
                    + ". Fix: for example --budget 30m.");
        }
        if (vocabSize < 0) {
            throw new UserException("--vocab-size must be >= 1 (or 0 for no limit), got " + vocabSize
                    + ". Fix: for example --vocab-size 200000.");
        }
        if (minCount < 1) {
            throw new UserException("--min-count must be >= 1, got " + minCount + ".");
        }
        if (patience < 0 || maxTrainExamples < 0 || maxEvalExamples < 0 || checkpointEvery < 0) {
            throw new UserException("--patience, --max-train, --max-eval and --checkpoint-every must be >= 0.");
        }
    }

    /**
     * The Brown demo defaults: 3 epochs, batch 200, SGD at {@value #BROWN_RATE} halved when validation stops improving
     * (the rate and schedule the comparison protocol selected for the Z-loss on Brown's validation split,
     * docs/RESULTS.md), patience 2, min count 4.
     */
    public static TrainingConfig brownDefault() {
        return builder().learningRate(BROWN_RATE).schedule(Schedule.PLATEAU).build();
    }

    /** The learning rate of the Brown demo. */
    public static final double BROWN_RATE = 4.0;

    /** A builder holding the Brown demo's values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().epochs(epochs).batch(batch).learningRate(learningRate).schedule(schedule)
                .optimizer(optimizer, optimizerParams).patience(patience).minCount(minCount)
                .limits(maxTrainExamples, maxEvalExamples).checkpointEvery(checkpointEvery).vocabSize(vocabSize)
                .maxTrainSeconds(maxTrainSeconds);
    }

    /** Named setters for a {@link TrainingConfig}; {@link #build()} checks the values. */
    public static final class Builder {
        private int epochs = 3;
        private int batch = 200;
        private double learningRate = 0.5;
        private Schedule schedule = Schedule.CONSTANT;
        private String optimizer = "sgd";
        private Map<String, Double> optimizerParams = Map.of();
        private int patience = 2;
        private int minCount = 4;
        private int vocabSize;
        private double maxTrainSeconds;
        private long maxTrainExamples;
        private long maxEvalExamples;
        private long checkpointEvery;

        private Builder() {
        }

        /** Passes over the training split. */
        public Builder epochs(int v) {
            epochs = v;
            return this;
        }

        /** Minibatch size. */
        public Builder batch(int v) {
            batch = v;
            return this;
        }

        /** Initial learning rate. */
        public Builder learningRate(double v) {
            learningRate = v;
            return this;
        }

        /** How the learning rate moves. */
        public Builder schedule(Schedule v) {
            schedule = v;
            return this;
        }

        /** Optimizer of the dense layers and its hyperparameters. */
        public Builder optimizer(String name, Map<String, Double> params) {
            optimizer = name;
            optimizerParams = params;
            return this;
        }

        /** Epochs without validation improvement before stopping (0 disables). */
        public Builder patience(int v) {
            patience = v;
            return this;
        }

        /** Stop after the epoch in which the training seconds reach this (0: no limit). */
        public Builder maxTrainSeconds(double v) {
            maxTrainSeconds = v;
            return this;
        }

        /** At most this many words besides {@code </s>} and {@code <unk>}, the most frequent (0: no limit). */
        public Builder vocabSize(int v) {
            vocabSize = v;
            return this;
        }

        /** Words seen fewer times in training become {@code <unk>}. */
        public Builder minCount(int v) {
            minCount = v;
            return this;
        }

        /** Training examples per epoch and evaluation examples at most (0 = all). */
        public Builder limits(long train, long eval) {
            maxTrainExamples = train;
            maxEvalExamples = eval;
            return this;
        }

        /** Steps between extra checkpoints (0 = at epoch ends only). */
        public Builder checkpointEvery(long v) {
            checkpointEvery = v;
            return this;
        }

        /** The configuration (checked). */
        public TrainingConfig build() {
            return new TrainingConfig(epochs, batch, learningRate, schedule, optimizer, optimizerParams, patience,
                    minCount, maxTrainExamples, maxEvalExamples, checkpointEvery, vocabSize, maxTrainSeconds);
        }
    }
}
