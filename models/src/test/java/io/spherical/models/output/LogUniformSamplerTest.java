package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The sampler of the sampled softmax: its draws follow the proposal, and its logQ is the inclusion probability. */
class LogUniformSamplerTest {
    @Test
    void drawsFollowTheLogUniformProposal() {
        int classes = 50;
        int n = 200_000;
        LogUniformSampler s = new LogUniformSampler(classes);
        double total = 0;
        for (int k = 0; k < classes; k++) {
            total += s.probability(k);
        }
        assertEquals(1.0, total, 1e-12, "the proposal is a distribution");
        assertEquals(Math.log(2) / Math.log(51), s.probability(0), 1e-15);
        long[] seen = new long[classes];
        s.seed(17, 0);
        for (int i = 0; i < n; i++) {
            seen[s.draw()]++;
        }
        double chi2 = 0;
        for (int k = 0; k < classes; k++) {
            double e = n * s.probability(k);
            chi2 += (seen[k] - e) * (seen[k] - e) / e;
        }
        // 49 degrees of freedom: P(chi2 > 85.35) = 0.001; a proposal off by a few percent anywhere exceeds it
        System.out.printf("log-uniform sampler: chi-square %.1f over 49 degrees of freedom%n", chi2);
        assertTrue(chi2 < 85.35, "chi-square " + chi2);
    }

    @Test
    void distinctDrawsIncludeEachClassWithItsExpectedCount() {
        int classes = 60;
        int k = 10;
        int steps = 20_000;
        LogUniformSampler s = new LogUniformSampler(classes);
        int[] cand = new int[k];
        long[] included = new long[classes];
        double[] expected = new double[classes];
        for (int step = 0; step < steps; step++) {
            s.seed(99, step);
            long tries = s.distinct(cand);
            assertEquals(k, Arrays.stream(cand).distinct().count(), "distinct classes");
            for (int c : cand) {
                included[c]++;
            }
            for (int c = 0; c < classes; c++) {
                expected[c] += Math.exp(s.logExpectedCount(c, tries));
            }
        }
        // 1 - (1 - P(k))^tries is TensorFlow's approximation (it ignores that drawing stops at the K-th distinct
        // class): measured here, class 0's expected count is 1.3% above its inclusion frequency, and no class is
        // off by more than 0.4% beyond 4 sigma of sampling noise; K P(k) instead would exceed 1 for class 0
        double worst = 0;
        for (int c = 0; c < classes; c++) {
            double p = expected[c] / steps;
            double sigma = Math.sqrt(steps * p * (1 - p));
            double off = Math.abs(included[c] - expected[c]) - 4 * sigma;
            worst = Math.max(worst, off / expected[c]);
        }
        System.out.printf("distinct sampler: worst inclusion error beyond 4 sigma %.4f of the expected count%n", worst);
        assertTrue(worst < 0.03, "expected counts off by " + worst);
    }

    @Test
    void everyClassWhenAllAreAskedForAndTheSameDrawsForTheSameStep() {
        LogUniformSampler s = new LogUniformSampler(7);
        int[] all = new int[7];
        assertEquals(Long.MAX_VALUE, s.distinct(all));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, all);
        assertEquals(0.0, s.logExpectedCount(3, Long.MAX_VALUE));
        LogUniformSampler big = new LogUniformSampler(100_000);
        int[] a = new int[64];
        int[] b = new int[64];
        big.seed(5, 123);
        big.distinct(a);
        big.seed(5, 124);
        big.distinct(b);
        assertTrue(!Arrays.equals(a, b), "steps draw differently");
        big.seed(5, 123);
        big.distinct(b);
        assertArrayEquals(a, b, "a step's draws depend only on (seed, step)");
    }
}
