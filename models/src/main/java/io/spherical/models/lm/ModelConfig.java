package io.spherical.models.lm;

import io.spherical.api.UserException;
import java.util.List;
import java.util.Map;

/**
 * The architecture of an n-gram language model: {@code context} previous words, embeddings of width
 * {@code embedding}, concatenated, dense layers of widths {@code hidden} with {@code activation}, then the output
 * layer. Immutable; {@link #validate()} turns impossible values into user errors.
 *
 * @param context         number of previous words (n - 1)
 * @param embedding       embedding width
 * @param hidden          widths of the dense layers (may be empty)
 * @param activation      {@code relu} or {@code tanh}
 * @param output          the output layer
 * @param loss            spherical loss name (factored and dense outputs)
 * @param lossParams      its hyperparameters
 * @param biasInput       the constant input of the spherical output layer's bias (0.001 in the authors' run)
 * @param stabilisePeriod factored layer: steps between singular-value control (0 disables)
 * @param unfactorPeriod  factored layer: steps between unfactorisations (0 disables)
 * @param seed            seed of every initialisation and of the data order
 */
public record ModelConfig(int context, int embedding, List<Integer> hidden, String activation, OutputKind output,
                          String loss, Map<String, Double> lossParams, float biasInput, int stabilisePeriod,
                          int unfactorPeriod, long seed) {

    /** Copies the collections. */
    public ModelConfig {
        hidden = List.copyOf(hidden);
        lossParams = Map.copyOf(lossParams);
    }

    /** The default demo model for Brown: 4 words of context, embeddings 64, one ReLU layer of 256, factored Z-loss. */
    public static ModelConfig brownDefault() {
        return new ModelConfig(4, 64, List.of(256), "relu", OutputKind.FACTORED, "z-loss", Map.of(), 1f, 100, 10_000, 1L);
    }

    /**
     * The configuration of the Z-loss authors' One Billion Word timing run: 10 words of context, embeddings 512,
     * hidden 2048-2048-512 ReLU, output bias as a constant input of 0.001 (trained with SGD lr 0.01, batch 200).
     */
    public static ModelConfig oneBillionWord() {
        return new ModelConfig(10, 512, List.of(2048, 2048, 512), "relu", OutputKind.FACTORED, "z-loss", Map.of(),
                0.001f, 100, 10_000, 1L);
    }

    /** Checks every value; the message names the option to change. */
    public ModelConfig validate() {
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
        if (!activation.equals("relu") && !activation.equals("tanh")) {
            throw new UserException("--activation must be relu or tanh, got '" + activation + "'.");
        }
        if (stabilisePeriod < 0 || unfactorPeriod < 0) {
            throw new UserException("Stabilisation periods must be >= 0 (0 disables).");
        }
        return this;
    }

    /** Width of the last hidden layer (the output layer's input). */
    public int topWidth() {
        return hidden.isEmpty() ? context * embedding : hidden.get(hidden.size() - 1);
    }

    /** A copy with another output layer. */
    public ModelConfig withOutput(OutputKind kind) {
        return new ModelConfig(context, embedding, hidden, activation, kind, loss, lossParams, biasInput,
                stabilisePeriod, unfactorPeriod, seed);
    }

    /** A copy with another loss. */
    public ModelConfig withLoss(String name, Map<String, Double> params) {
        return new ModelConfig(context, embedding, hidden, activation, output, name, params, biasInput,
                stabilisePeriod, unfactorPeriod, seed);
    }

}
