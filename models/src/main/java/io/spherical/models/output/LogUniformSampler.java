package io.spherical.models.output;

/**
 * Draws the negative classes of {@link SampledSoftmaxOutput}: the log-uniform (Zipfian) proposal of TensorFlow's
 * candidate sampler, {@code P(k) = log((k + 2) / (k + 1)) / log(D + 1)}, which is close to the unigram distribution
 * of words because ids are sorted by decreasing frequency (see {@code Vocabulary}), without needing the counts. A
 * minibatch shares K distinct classes, drawn until K are distinct; the expected number of times class k appears in
 * those tries is {@code 1 - (1 - P(k))^tries}, the {@code Q} of the logQ correction.
 *
 * <p>The random stream of step s is a SplitMix64 sequence seeded by (seed, s), so a resumed run draws exactly what the
 * uninterrupted run would have: the layer's step counter is the sampler's whole state. Nothing is allocated per draw.
 */
final class LogUniformSampler {
    private final int classes;
    private final double logRange;
    private final int[] stamp;
    private int stampOf;
    private long state;

    LogUniformSampler(int classes) {
        this.classes = classes;
        this.logRange = Math.log(classes + 1.0);
        this.stamp = new int[classes];
    }

    /** The proposal's probability of class k. */
    double probability(int k) {
        return Math.log((k + 2.0) / (k + 1.0)) / logRange;
    }

    /** One draw from the proposal (with replacement), from the stream set by {@link #seed(long, long)}. */
    int draw() {
        int k = (int) Math.exp(nextDouble() * logRange) - 1;
        return Math.min(Math.max(k, 0), classes - 1);
    }

    /** Starts the stream of step {@code step} of a layer seeded with {@code seed}. */
    void seed(long seed, long step) {
        state = mix(seed ^ mix(step + 0x632BE59BD9B4E019L));
    }

    /**
     * Fills {@code out} with {@code out.length} distinct classes (every class, in order, when that is all of them)
     * and returns the number of draws it took ({@code Long.MAX_VALUE} for every class).
     */
    long distinct(int[] out) {
        if (out.length > classes) {
            throw new IllegalArgumentException(out.length + " distinct classes out of " + classes);
        }
        if (out.length == classes) {
            for (int k = 0; k < classes; k++) {
                out[k] = k;
            }
            return Long.MAX_VALUE;
        }
        if (++stampOf == Integer.MAX_VALUE) {
            java.util.Arrays.fill(stamp, 0);
            stampOf = 1;
        }
        long tries = 0;
        int n = 0;
        while (n < out.length) {
            int k = draw();
            tries++;
            if (stamp[k] != stampOf) {
                stamp[k] = stampOf;
                out[n++] = k;
            }
        }
        return tries;
    }

    /** log of the expected count of class k in {@code tries} draws (0 when every class is taken). */
    double logExpectedCount(int k, long tries) {
        if (tries == Long.MAX_VALUE) {
            return 0;
        }
        return Math.log(-Math.expm1(tries * Math.log1p(-probability(k))));
    }

    private double nextDouble() {
        state += 0x9E3779B97F4A7C15L;
        return (mix(state) >>> 11) * 0x1.0p-53;
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
