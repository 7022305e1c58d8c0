package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.testkit.Dense64;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Log-softmax and hierarchical softmax: dL/dH and the weight update (W_1 - W_0 = -eta dL/dW) against central finite
 * differences of float64 re-implementations (relative Frobenius tolerance 1e-4), normalisation of the hierarchical
 * softmax, and the blocked softmax path against the one-pass path. A backend runs it by extending it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class NormalisedOutputContract {
    private Backend b;

    /** The backend under test. */
    protected abstract Backend createBackend();

    @BeforeAll
    void open() {
        b = createBackend();
    }

    @AfterAll
    void close() {
        if (b != null) { // null when the suite was skipped
            b.close();
        }
    }

    /** -log softmax(W [h;1])_c in double. */
    static double softmaxLoss(double[] h, double[] w, int d, int classes, int c) {
        double[] z = new double[classes];
        double mx = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < classes; k++) {
            double s = w[k * (d + 1) + d];
            for (int j = 0; j < d; j++) {
                s += w[k * (d + 1) + j] * h[j];
            }
            z[k] = s;
            mx = Math.max(mx, s);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - mx);
        }
        return mx + Math.log(sum) - z[c];
    }

    static double[] sub(double[] w, int from, int to, int width) {
        double[] r = new double[(to - from) * width];
        System.arraycopy(w, from * width, r, 0, r.length);
        return r;
    }

    @Test
    void softmaxGradientMatchesFiniteDifferences() {
        int classes = 13;
        int d = 6;
        int m = 5;
        Random r = new Random(1);
        for (long budget : new long[] {SoftmaxOutput.DEFAULT_BUDGET, 4L * m}) {
            try (SoftmaxOutput s = new SoftmaxOutput(b, classes, d, m, 3, budget);
                 Tensor h = b.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d); Tensor g = b.zeros(m, d)) {
                int[] t = {3, 0, 12, 3, 7};
                double[] w = Dense64.of(b.toHost(s.state().get("W")), classes, d + 1).v;
                double[] hh = Dense64.of(b.toHost(h), m, d).v;
                double expectedLoss = 0;
                double[] fd = new double[m * d];
                for (int i = 0; i < m; i++) {
                    double[] hi = sub(hh, i, i + 1, d);
                    expectedLoss += softmaxLoss(hi, w, d, classes, t[i]) / m;
                    for (int j = 0; j < d; j++) {
                        double keep = hi[j];
                        hi[j] = keep + 1e-6;
                        double up = softmaxLoss(hi, w, d, classes, t[i]);
                        hi[j] = keep - 1e-6;
                        double down = softmaxLoss(hi, w, d, classes, t[i]);
                        hi[j] = keep;
                        fd[i * d + j] = (up - down) / 2e-6 / m;
                    }
                }
                double loss = s.step(h, t, 0.1f, g);
                assertEquals(expectedLoss, loss, 1e-5 * Math.abs(expectedLoss), "mean loss, budget " + budget);
                double err = Dense64.of(b.toHost(g), m, d).relativeError(Dense64.of(toFloats(fd), m, d));
                assertTrue(err < 1e-4, "dL/dH relative error " + err + ", budget " + budget);
            }
        }
    }

    @Test
    void blockedSoftmaxEqualsOnePass() {
        int classes = 101;
        int d = 9;
        int m = 7;
        Random r = new Random(2);
        float[] h = Dense64.randomFloats(r, m * d, 1.0);
        int[] t = {0, 100, 50, 50, 3, 99, 1};
        try (SoftmaxOutput one = new SoftmaxOutput(b, classes, d, m, 5);
             SoftmaxOutput blocked = new SoftmaxOutput(b, classes, d, m, 5, 10L * m);
             Tensor ht = b.fromHost(h, m, d); Tensor g1 = b.zeros(m, d); Tensor g2 = b.zeros(m, d)) {
            for (int step = 0; step < 3; step++) {
                double l1 = one.step(ht, t, 0.3f, g1);
                double l2 = blocked.step(ht, t, 0.3f, g2);
                assertEquals(l1, l2, 1e-5 * Math.abs(l1));
                assertTrue(Dense64.of(b.toHost(g1), m, d).relativeError(Dense64.of(b.toHost(g2), m, d)) < 1e-5);
            }
            double we = Dense64.of(b.toHost(one.state().get("W")), classes, d + 1)
                    .relativeError(Dense64.of(b.toHost(blocked.state().get("W")), classes, d + 1));
            assertTrue(we < 1e-5, "weights after 3 steps differ by " + we);
        }
    }

    /** -log p(c) of the two-level model in double. */
    static double hsmLoss(double[] h, double[] wc, double[] ww, int[] start, int d, int c) {
        int nc = start.length - 1;
        int cls = 0;
        while (start[cls + 1] <= c) {
            cls++;
        }
        double l = softmaxLoss(h, wc, d, nc, cls);
        double[] block = sub(ww, start[cls], start[cls + 1], d + 1);
        return l + softmaxLoss(h, block, d, start[cls + 1] - start[cls], c - start[cls]);
    }

    @Test
    void hierarchicalSoftmaxGradientMatchesFiniteDifferencesAndSumsToOne() {
        long[] counts = new long[40];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = 1000 / (i + 1);
        }
        int d = 5;
        int m = 6;
        Random r = new Random(3);
        try (HierarchicalSoftmaxOutput hs = new HierarchicalSoftmaxOutput(b, counts, d, m, 9);
             Tensor h = b.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d); Tensor g = b.zeros(m, d);
             Tensor all = b.zeros(m, counts.length)) {
            int[] start = HierarchicalSoftmaxOutput.frequencyBins(counts);
            assertTrue(start.length - 1 >= 4 && start.length - 1 <= 8, "about sqrt(D) classes: " + (start.length - 1));
            hs.scores(h, all);
            float[] lp = b.toHost(all);
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int k = 0; k < counts.length; k++) {
                    sum += Math.exp(lp[i * counts.length + k]);
                }
                assertEquals(1.0, sum, 1e-5, "probabilities of row " + i + " sum to 1");
            }
            int[] t = {0, 39, 5, 5, 17, 1};
            double[] wc = Dense64.of(b.toHost(hs.state().get("Wclass")), start.length - 1, d + 1).v;
            double[] ww = Dense64.of(b.toHost(hs.state().get("Wword")), counts.length, d + 1).v;
            double[] hh = Dense64.of(b.toHost(h), m, d).v;
            double[] fd = new double[m * d];
            double expected = 0;
            for (int i = 0; i < m; i++) {
                double[] hi = sub(hh, i, i + 1, d);
                expected += hsmLoss(hi, wc, ww, start, d, t[i]) / m;
                assertEquals(-lp[i * counts.length + t[i]], hsmLoss(hi, wc, ww, start, d, t[i]), 1e-4,
                        "scores are log-probabilities");
                for (int j = 0; j < d; j++) {
                    double keep = hi[j];
                    hi[j] = keep + 1e-6;
                    double up = hsmLoss(hi, wc, ww, start, d, t[i]);
                    hi[j] = keep - 1e-6;
                    double down = hsmLoss(hi, wc, ww, start, d, t[i]);
                    hi[j] = keep;
                    fd[i * d + j] = (up - down) / 2e-6 / m;
                }
            }
            double loss = hs.step(h, t, 0.1f, g);
            assertEquals(expected, loss, 1e-5 * expected);
            double err = Dense64.of(b.toHost(g), m, d).relativeError(Dense64.of(toFloats(fd), m, d));
            assertTrue(err < 1e-4, "dL/dH relative error " + err);
        }
    }

    /** Central differences (step 1e-6) of a float64 mean loss with respect to every weight. */
    static double[] weightGradient(java.util.function.ToDoubleFunction<double[]> meanLoss, double[] w) {
        double[] g = new double[w.length];
        for (int k = 0; k < w.length; k++) {
            double keep = w[k];
            w[k] = keep + 1e-6;
            double up = meanLoss.applyAsDouble(w);
            w[k] = keep - 1e-6;
            double down = meanLoss.applyAsDouble(w);
            w[k] = keep;
            g[k] = (up - down) / 2e-6;
        }
        return g;
    }

    /** ||(w1 - w0) - (-eta g)|| / ||eta g||: the relative error of what a step changed. */
    static double changeError(float[] w1, double[] w0, double eta, double[] g) {
        double num = 0;
        double den = 0;
        for (int k = 0; k < g.length; k++) {
            double e = (w1[k] - w0[k]) + eta * g[k];
            num += e * e;
            den += eta * g[k] * eta * g[k];
        }
        return Math.sqrt(num / den);
    }

    @Test
    void softmaxWeightUpdateIsMinusEtaTimesTheFloat64Gradient() {
        int classes = 13;
        int d = 6;
        int m = 5;
        double eta = 2.0;
        Random r = new Random(11);
        for (long budget : new long[] {SoftmaxOutput.DEFAULT_BUDGET, 4L * m}) {
            try (SoftmaxOutput s = new SoftmaxOutput(b, classes, d, m, 3, budget);
                 Tensor h = b.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d)) {
                int[] t = {3, 0, 12, 3, 7};
                double[] w0 = Dense64.of(b.toHost(s.state().get("W")), classes, d + 1).v;
                double[] hh = Dense64.of(b.toHost(h), m, d).v;
                double[] g = weightGradient(w -> {
                    double total = 0;
                    for (int i = 0; i < m; i++) {
                        total += softmaxLoss(sub(hh, i, i + 1, d), w, d, classes, t[i]) / m;
                    }
                    return total;
                }, w0.clone());
                s.step(h, t, (float) eta, null);
                double err = changeError(b.toHost(s.state().get("W")), w0, eta, g);
                assertTrue(err < 1e-4, "W_1 - W_0 relative error " + err + ", budget " + budget);
            }
        }
    }

    @Test
    void hierarchicalSoftmaxWeightUpdateIsMinusEtaTimesTheFloat64Gradient() {
        long[] counts = new long[40];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = 1000 / (i + 1);
        }
        int d = 5;
        int m = 6;
        double eta = 2.0;
        Random r = new Random(4);
        try (HierarchicalSoftmaxOutput hs = new HierarchicalSoftmaxOutput(b, counts, d, m, 9);
             Tensor h = b.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d)) {
            int[] start = HierarchicalSoftmaxOutput.frequencyBins(counts);
            int nc = start.length - 1;
            int[] t = {0, 39, 5, 5, 17, 1};
            double[] wc = Dense64.of(b.toHost(hs.state().get("Wclass")), nc, d + 1).v;
            double[] ww = Dense64.of(b.toHost(hs.state().get("Wword")), counts.length, d + 1).v;
            double[] hh = Dense64.of(b.toHost(h), m, d).v;
            double[] gc = weightGradient(w -> {
                double total = 0;
                for (int i = 0; i < m; i++) {
                    total += hsmLoss(sub(hh, i, i + 1, d), w, ww, start, d, t[i]) / m;
                }
                return total;
            }, wc.clone());
            double[] gw = weightGradient(w -> {
                double total = 0;
                for (int i = 0; i < m; i++) {
                    total += hsmLoss(sub(hh, i, i + 1, d), wc, w, start, d, t[i]) / m;
                }
                return total;
            }, ww.clone());
            hs.step(h, t, (float) eta, null);
            double ec = changeError(b.toHost(hs.state().get("Wclass")), wc, eta, gc);
            double ew = changeError(b.toHost(hs.state().get("Wword")), ww, eta, gw);
            assertTrue(ec < 1e-4 && ew < 1e-4, "relative errors of the changes: classes " + ec + ", words " + ew);
        }
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
