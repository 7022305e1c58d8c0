package io.spherical.training;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Evaluation results on one split: mean loss, top-k error for k in {@link #KS} (the fraction of examples whose
 * target is not among the k highest outputs, ties counted against the target), mean reciprocal rank, and perplexity
 * (exp of the mean loss) for normalised models, NaN otherwise.
 *
 * @param split      split name
 * @param examples   examples evaluated
 * @param loss       mean loss
 * @param topKError  k -&gt; error
 * @param mrr        mean reciprocal rank of the target
 * @param perplexity exp(mean loss) when the model is normalised, else NaN
 */
public record Metrics(String split, long examples, double loss, Map<Integer, Double> topKError, double mrr,
                      double perplexity) {
    /** The k of the reported top-k errors. */
    public static final int[] KS = {1, 5, 10, 20, 50, 100};

    /** Accumulates ranks and losses. */
    public static final class Accumulator {
        private final long[] misses = new long[KS.length];
        private double reciprocal;
        private double lossSum;
        private long n;

        /** Adds one example's 1-based rank and loss. */
        public void add(int rank, double loss) {
            for (int i = 0; i < KS.length; i++) {
                if (rank > KS[i]) {
                    misses[i]++;
                }
            }
            reciprocal += 1.0 / rank;
            lossSum += loss;
            n++;
        }

        /** The metrics so far. */
        public Metrics result(String split, boolean normalised) {
            Map<Integer, Double> err = new LinkedHashMap<>();
            for (int i = 0; i < KS.length; i++) {
                err.put(KS[i], n == 0 ? Double.NaN : (double) misses[i] / n);
            }
            double mean = n == 0 ? Double.NaN : lossSum / n;
            return new Metrics(split, n, mean, err, n == 0 ? Double.NaN : reciprocal / n,
                    normalised ? Math.exp(mean) : Double.NaN);
        }
    }
}
