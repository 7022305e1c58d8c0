package com.example.predict;

import io.spherical.training.Predictor;
import java.nio.file.Path;
import java.util.List;

/**
 * The README's example: the five most likely next words of a context, from a run written by {@code spherical train}.
 * Usage: {@code PredictExample RUN_DIR "the cat sat on the"}.
 */
public final class PredictExample {
    private PredictExample() {
    }

    public static void main(String[] args) {
        Path run = Path.of(args[0]);
        String context = args.length > 1 ? args[1] : "the cat sat on the";
        try (Predictor model = Predictor.load(run)) {                   // the best backend on the classpath
            List<Predictor.Prediction> next = model.topK(context, 5);
            System.out.println("After \"" + context + "\":");
            for (Predictor.Prediction p : next) {
                System.out.printf("  %-15s score %8.3f%s%n", p.word(), p.score(),
                        Double.isNaN(p.probability()) ? "" : String.format("  p %.4f", p.probability()));
            }
            // a batch of contexts is answered in one pass, and any word can be scored
            List<List<Predictor.Prediction>> many = model.topK(List.of(context, "in the"), 3);
            double[] scores = model.scores(context, List.of(next.get(0).word(), "zebra"));
            System.out.println(many.size() + " contexts answered; score of '" + next.get(0).word() + "' "
                    + scores[0] + ", of 'zebra' (unknown, scored as <unk>) " + scores[1]);
        }
    }
}
