package io.spherical.training;

import io.spherical.models.lm.ModelConfig;
import java.util.Map;

/**
 * The learning rate {@code train} uses when {@code --lr} is not given: for each output layer, the rate the comparison
 * protocol selected on the validation split at the measured vocabulary size nearest the run's D on a log scale.
 * Two sizes have been measured: Brown (D = {@value #BROWN_D}, {@code docs/protocol/brown/selection.csv}) and Gutenberg cut
 * to 200,000 words (D = {@value #LARGE_D}, {@code docs/protocol/gutenberg-200k/selection.csv}), so the boundary is
 * their geometric mean, D = 51,362: below it Brown's rate, from it on the large one's. Measured, the Z-loss's rate
 * falls from 16 to 0.5, sampled softmax's from 4 to 2; hierarchical, adaptive and log-softmax's stay 2 and the
 * log-Taylor softmax's stays 16. A kind measured only on Brown keeps Brown's rate; a loss plugin, or any layer not in
 * the table, gets the preset's. The table is checked against both selection files by its test.
 */
public final class DefaultRates {
    /** Brown's vocabulary with the Brown preset (min count 4, {@code <unk>} and {@code </s>} included). */
    public static final int BROWN_D = 13_190;
    /** The large measured vocabulary: {@code --vocab-size 200000} with {@code <unk>} and {@code </s>}. */
    public static final int LARGE_D = 200_002;

    /** Per kind (protocol names), the selected rate on Brown and at 200,000 words (NaN: not measured there). */
    private static final Map<String, double[]> RATES = Map.of(
            "z-loss", new double[] {16.0, 0.5},
            "log-taylor-softmax", new double[] {16.0, 16.0},
            "log-spherical-softmax", new double[] {0.5, Double.NaN},
            "squared-error", new double[] {0.025, Double.NaN},
            "hsm", new double[] {2.0, 2.0},
            "sampled-softmax", new double[] {4.0, 2.0},
            "adaptive-softmax", new double[] {2.0, 2.0},
            "log-softmax", new double[] {2.0, 2.0});

    private DefaultRates() {
    }

    /**
     * The protocol's name of the model's output layer: the loss's name for a spherical layer (factored or dense: the
     * same gradients), otherwise {@code log-softmax}, {@code hsm}, {@code sampled-softmax} or
     * {@code adaptive-softmax}.
     */
    public static String kind(ModelConfig mc) {
        return switch (mc.output()) {
            case FACTORED, DENSE -> mc.loss();
            case SOFTMAX -> "log-softmax";
            case HSM -> "hsm";
            case SAMPLED -> "sampled-softmax";
            case ADAPTIVE -> "adaptive-softmax";
        };
    }

    /** Whether D is nearer, on a log scale, to the large measured vocabulary than to Brown's. */
    public static boolean large(int vocabSize) {
        return (double) vocabSize * vocabSize >= (double) BROWN_D * LARGE_D;
    }

    /**
     * The rate for {@code mc} at a vocabulary of {@code vocabSize} words (see the class comment), or
     * {@code fallback} for a kind the protocol has not measured.
     */
    public static double rate(ModelConfig mc, int vocabSize, double fallback) {
        double[] r = RATES.get(kind(mc));
        if (r == null) {
            return fallback;
        }
        return large(vocabSize) && !Double.isNaN(r[1]) ? r[1] : r[0];
    }

    /** The rate selected for {@code kind} at the measured size nearest D, or NaN when the table lacks the kind. */
    static double tabled(String kind, boolean large) {
        double[] r = RATES.get(kind);
        return r == null ? Double.NaN : r[large ? 1 : 0];
    }
}
