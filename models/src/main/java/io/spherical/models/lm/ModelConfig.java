package io.spherical.models.lm;

import io.spherical.api.UserException;
import io.spherical.models.output.AdaptiveSoftmaxOutput;
import io.spherical.models.output.FactoredConfig;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The architecture of an n-gram language model: {@code context} previous words, embeddings of width
 * {@code embedding}, concatenated, dense layers of widths {@code hidden} with {@code activation}, then the output
 * layer. Immutable and valid by construction: impossible values are user errors naming the option to change. Build
 * one with {@link #builder()} (the Brown demo's values unless set) or change one with {@link #toBuilder()}.
 *
 * @param context         number of previous words (n - 1)
 * @param embedding       embedding width
 * @param hidden          widths of the dense layers (may be empty)
 * @param activation      of the dense layers
 * @param output          the output layer
 * @param loss            spherical loss name (factored and dense outputs)
 * @param lossParams      its hyperparameters
 * @param biasInput       the constant input of the spherical output layer's bias (0.001 in the authors' run)
 * @param stabilisePeriod factored layer: steps between singular-value control (0 disables)
 * @param unfactorPeriod  factored layer: steps between unfactorisations (0 disables)
 * @param seed            seed of every initialisation and of the data order
 * @param samples         sampled softmax: negatives per step (0 = chosen from the vocabulary size)
 * @param cutoffs         adaptive softmax: first word rank of each tail cluster (empty = chosen from the vocabulary
 *                        size)
 * @param stepBound       factored layer: the step control's bound (docs/ALGORITHM.md 5; a departure from the paper's
 *                        plain SGD step); positive infinity disables it (the paper's step); null in runs recorded
 *                        before it existed, read as the default
 */
public record ModelConfig(int context, int embedding, List<Integer> hidden, Activation activation, OutputKind output,
                          String loss, Map<String, Double> lossParams, float biasInput, int stabilisePeriod,
                          int unfactorPeriod, long seed, int samples, List<Integer> cutoffs, Double stepBound) {

    /** Copies the collections and checks every value. */
    public ModelConfig {
        hidden = List.copyOf(hidden);
        lossParams = Map.copyOf(lossParams);
        cutoffs = cutoffs == null ? List.of() : List.copyOf(cutoffs); // absent from runs written before it existed
        stepBound = stepBound == null ? FactoredConfig.DEFAULT_STEP_BOUND : stepBound;
        if (!(stepBound > 0)) {
            throw new UserException("--step-bound must be > 0 (inf disables the step control), got " + stepBound
                    + ". Fix: for example --step-bound 0.5 (the default) or --step-bound inf.");
        }
        Objects.requireNonNull(activation, "activation");
        Objects.requireNonNull(output, "output");
        Objects.requireNonNull(loss, "loss");
        if (context < 1) {
            throw new UserException("--context must be >= 1 (the number of previous words), got " + context + ".");
        }
        if (embedding < 1) {
            throw new UserException("--embedding must be >= 1, got " + embedding + ".");
        }
        for (int h : hidden) {
            if (h < 1) {
                throw new UserException("--hidden sizes must be >= 1, got " + hidden + ".");
            }
        }
        if (stabilisePeriod < 0 || unfactorPeriod < 0) {
            throw new UserException("Stabilisation periods must be >= 0 (0 disables).");
        }
        if (!cutoffs.isEmpty()) {
            AdaptiveSoftmaxOutput.check(cutoffs.stream().mapToInt(Integer::intValue).toArray(), Integer.MAX_VALUE);
        }
        if (samples < 0) {
            throw new UserException("--samples must be >= 1 (or 0 for the default), got " + samples
                    + ". Fix: for example --samples 1024.");
        }
    }

    /** The cutoffs as an array (empty when the layer chooses them). */
    public int[] cutoffArray() {
        return cutoffs.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The default demo model for Brown: 4 words of context, embeddings 64, one ReLU layer of 256, factored Z-loss. */
    public static ModelConfig brownDefault() {
        return builder().build();
    }

    /**
     * The configuration of the Z-loss authors' One Billion Word timing run: 10 words of context, embeddings 512,
     * hidden 2048-2048-512 ReLU, output bias as a constant input of 0.001 (trained with SGD lr 0.01, batch 200).
     */
    public static ModelConfig oneBillionWord() {
        return builder().context(10).embedding(512).hidden(List.of(2048, 2048, 512)).biasInput(0.001f).build();
    }

    /** A builder holding the Brown demo's values. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        return new Builder().context(context).embedding(embedding).hidden(hidden).activation(activation).output(output)
                .loss(loss, lossParams).biasInput(biasInput).stabilisePeriod(stabilisePeriod)
                .unfactorPeriod(unfactorPeriod).seed(seed).samples(samples).cutoffs(cutoffs).stepBound(stepBound);
    }

    /** Width of the last hidden layer (the output layer's input). */
    public int topWidth() {
        return hidden.isEmpty() ? context * embedding : hidden.get(hidden.size() - 1);
    }

    /** Named setters for a {@link ModelConfig}; {@link #build()} checks the values. */
    public static final class Builder {
        private int context = 4;
        private int embedding = 64;
        private List<Integer> hidden = List.of(256);
        private Activation activation = Activation.RELU;
        private OutputKind output = OutputKind.FACTORED;
        private String loss = "z-loss";
        private Map<String, Double> lossParams = Map.of();
        private float biasInput = 1f;
        private int stabilisePeriod = 100;
        private int unfactorPeriod = 10_000;
        private long seed = 1L;
        private int samples;
        private List<Integer> cutoffs = List.of();
        private double stepBound = FactoredConfig.DEFAULT_STEP_BOUND;

        private Builder() {
        }

        /** The factored layer's step-control bound (positive infinity: no control, the paper's plain step). */
        public Builder stepBound(double v) {
            stepBound = v;
            return this;
        }

        /** Previous words used (n - 1). */
        public Builder context(int v) {
            context = v;
            return this;
        }

        /** Embedding width. */
        public Builder embedding(int v) {
            embedding = v;
            return this;
        }

        /** Widths of the dense layers. */
        public Builder hidden(List<Integer> v) {
            hidden = v;
            return this;
        }

        /** Activation of the dense layers. */
        public Builder activation(Activation v) {
            activation = v;
            return this;
        }

        /** The output layer. */
        public Builder output(OutputKind v) {
            output = v;
            return this;
        }

        /** The spherical loss and its hyperparameters. */
        public Builder loss(String name, Map<String, Double> params) {
            loss = name;
            lossParams = params;
            return this;
        }

        /** The constant input of the spherical output layer's bias. */
        public Builder biasInput(float v) {
            biasInput = v;
            return this;
        }

        /** Steps between singular-value control of the factored layer (0 disables). */
        public Builder stabilisePeriod(int v) {
            stabilisePeriod = v;
            return this;
        }

        /** Steps between unfactorisations of the factored layer (0 disables). */
        public Builder unfactorPeriod(int v) {
            unfactorPeriod = v;
            return this;
        }

        /** Seed of every initialisation and of the data order. */
        public Builder seed(long v) {
            seed = v;
            return this;
        }

        /** Negatives per step of the sampled softmax (0 = chosen from the vocabulary size). */
        public Builder samples(int v) {
            samples = v;
            return this;
        }

        /** First word rank of each tail cluster of the adaptive softmax (empty = chosen from the vocabulary size). */
        public Builder cutoffs(List<Integer> v) {
            cutoffs = v;
            return this;
        }

        /** The configuration (checked). */
        public ModelConfig build() {
            return new ModelConfig(context, embedding, hidden, activation, output, loss, lossParams, biasInput,
                    stabilisePeriod, unfactorPeriod, seed, samples, cutoffs, stepBound);
        }
    }
}
