package io.spherical.training;

import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import java.util.Arrays;
import java.util.Locale;

/** Named starting points: a model and the way it is trained; command-line options then override single values. */
public enum Preset {
    /**
     * The Brown demo: 4 words of context, embeddings 64, one ReLU layer of 256, factored Z-loss aiming at the top 10
     * (beta = sqrt(D/10 - 1)), SGD at 4 with the plateau schedule, 3 epochs: the Z-loss configuration the comparison
     * protocol selected on Brown's validation split (docs/RESULTS.md). Without --lr, {@code train} replaces the 4 by
     * {@link DefaultRates}' rate for the output layer and the vocabulary's size.
     */
    BROWN {
        @Override
        public ModelConfig model() {
            return ModelConfig.brownDefault();
        }

        @Override
        public TrainingConfig training() {
            return TrainingConfig.brownDefault();
        }
    },
    /**
     * The Z-loss authors' One Billion Word timing run: 10 words of context, embeddings 512, hidden 2048-2048-512 ReLU,
     * output bias input 0.001; SGD lr 0.01, batch 200, one epoch, validation on 10,000 examples.
     */
    ONE_BILLION_WORD {
        @Override
        public ModelConfig model() {
            return ModelConfig.oneBillionWord();
        }

        @Override
        public TrainingConfig training() {
            return TrainingConfig.builder().epochs(1).learningRate(0.01).patience(0).minCount(1).limits(100_000, 10_000)
                    .build();
        }
    };

    /** The model of the preset. */
    public abstract ModelConfig model();

    /** How the preset trains. */
    public abstract TrainingConfig training();

    /** Its name on the command line: {@code brown} or {@code 1bw}. */
    public String label() {
        return this == BROWN ? "brown" : "1bw";
    }

    /** The preset named {@code brown} or {@code 1bw}. */
    public static Preset parse(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(p -> p.label().equals(n)).findFirst().orElseThrow(() ->
                new UserException("--preset must be brown or 1bw, got '" + name + "'."));
    }
}
