package io.spherical.models.output;

import static io.spherical.models.output.NormalisedOutputContract.changeError;
import static io.spherical.models.output.NormalisedOutputContract.softmaxLoss;
import static io.spherical.models.output.NormalisedOutputContract.sub;
import static io.spherical.models.output.NormalisedOutputContract.weightGradient;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Tensor;
import io.spherical.testkit.ContractFixture;
import io.spherical.testkit.Dense64;
import java.util.Random;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

/**
 * The output layers practitioners compare against, on any backend: sampled softmax and adaptive softmax, each
 * against a float64 reference (losses, dL/dH by central differences, and what a step changes in every parameter
 * matrix: {@code W_1 - W_0 = -eta dL/dW}). Tolerances: 1e-5 relative on losses, 1e-4 relative (norm) on gradients
 * and changes.
 */
public abstract class BaselineOutputContract extends ContractFixture {
    private static final double ETA = 2.0;

    // ---- sampled softmax ----------------------------------------------------------------------------------------

    @Test
    void sampledSoftmaxWithEveryClassAsCandidateIsTheFullSoftmax() {
        int classes = 13;
        int d = 6;
        int m = 5;
        int[] t = {3, 0, 12, 3, 7};
        for (boolean correct : new boolean[] {true, false}) {
            Random r = new Random(5);
            try (SampledSoftmaxOutput s = new SampledSoftmaxOutput(backend, classes, d, m, 3, classes, correct);
                 Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d); Tensor g = backend.zeros(m, d)) {
                double[] w0 = Dense64.of(backend.toHost(s.state().get("W")), classes, d + 1).v;
                double[] hh = Dense64.of(backend.toHost(h), m, d).v;
                ToDoubleFunction<double[]> full = w -> {
                    double total = 0;
                    for (int i = 0; i < m; i++) {
                        total += softmaxLoss(sub(hh, i, i + 1, d), w, d, classes, t[i]) / m;
                    }
                    return total;
                };
                double expected = full.applyAsDouble(w0);
                double[] gw = weightGradient(full, w0.clone());
                double[] gh = inputGradient(hh, m, d, x -> {
                    double total = 0;
                    for (int i = 0; i < m; i++) {
                        total += softmaxLoss(sub(x, i, i + 1, d), w0, d, classes, t[i]) / m;
                    }
                    return total;
                });
                double loss = s.step(h, t, (float) ETA, g);
                assertEquals(expected, loss, 1e-5 * expected, "loss with every class, correction " + correct);
                assertGradientAndChange(g, gh, m, d, backend.toHost(s.state().get("W")), w0, gw, "W");
            }
        }
    }

    @Test
    void sampledSoftmaxMatchesItsFloat64ReferenceWithCorrectionAndAccidentalHits() {
        int classes = 40;
        int d = 5;
        int m = 6;
        int k = 12;
        int[] t = {0, 1, 1, 2, 39, 7};   // frequent ids: the log-uniform proposal samples them, so hits happen
        Random r = new Random(8);
        try (SampledSoftmaxOutput s = new SampledSoftmaxOutput(backend, classes, d, m, 21, k, true);
             Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d); Tensor g = backend.zeros(m, d)) {
            double[] w0 = Dense64.of(backend.toHost(s.state().get("W")), classes, d + 1).v;
            double[] hh = Dense64.of(backend.toHost(h), m, d).v;
            float[] w1Before = backend.toHost(s.state().get("W"));
            double loss = s.step(h, t, (float) ETA, g);
            int[] cand = s.lastCandidates();
            double[] logQ = new double[classes];
            for (int c = 0; c < classes; c++) {
                logQ[c] = s.logExpectedCount(c);
            }
            int hits = 0;
            for (int target : t) {
                for (int c : cand) {
                    hits += c == target ? 1 : 0;
                }
            }
            assertTrue(hits > 0, "the case must contain accidental hits");
            assertTrue(logQ[cand[0]] < 0 && Double.isFinite(logQ[cand[0]]), "the correction is applied");
            ToDoubleFunction<double[]> ref = w -> {
                double total = 0;
                for (int i = 0; i < m; i++) {
                    total += sampledLoss(sub(hh, i, i + 1, d), w, d, cand, logQ, t[i]) / m;
                }
                return total;
            };
            double expected = ref.applyAsDouble(w0);
            double[] gw = weightGradient(ref, w0.clone());
            double[] gh = inputGradient(hh, m, d, x -> {
                double total = 0;
                for (int i = 0; i < m; i++) {
                    total += sampledLoss(sub(x, i, i + 1, d), w0, d, cand, logQ, t[i]) / m;
                }
                return total;
            });
            assertEquals(expected, loss, 1e-5 * expected, "sampled loss");
            assertGradientAndChange(g, gh, m, d, backend.toHost(s.state().get("W")), w0, gw, "W");
            int untouched = 0;
            float[] w1 = backend.toHost(s.state().get("W"));
            for (int c = 0; c < classes; c++) {
                if (!contains(cand, c) && !contains(t, c)) {
                    for (int j = 0; j <= d; j++) {
                        assertEquals(w1Before[c * (d + 1) + j], w1[c * (d + 1) + j], 0f, "row " + c + " is not a candidate");
                    }
                    untouched++;
                }
            }
            assertTrue(untouched > 10, "most rows are neither sampled nor targets: " + untouched);
        }
    }

    @Test
    void sampledSoftmaxLowersTheExactLossAndDrawsTheSameClassesAfterARestore() {
        int classes = 200;
        int d = 8;
        int m = 16;
        Random r = new Random(3);
        int[] t = new int[m];
        for (int i = 0; i < m; i++) {
            t[i] = r.nextInt(classes);
        }
        try (SampledSoftmaxOutput s = new SampledSoftmaxOutput(backend, classes, d, m, 4, 20, true);
             Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d)) {
            double before = exactMean(s, h, t, m);
            int[] atStep50 = null;
            for (int step = 0; step < 150; step++) {
                double loss = s.step(h, t, 0.5f, null);
                assertTrue(Double.isFinite(loss), "finite sampled loss at step " + step);
                if (step == 50) {
                    atStep50 = s.lastCandidates();
                }
            }
            double after = exactMean(s, h, t, m);
            assertTrue(after < 0.5 * before, "exact loss " + before + " -> " + after);
            s.restoreCounter(50);
            s.step(h, t, 0f, null);
            assertArrayEquals(atStep50, s.lastCandidates(), "the step counter is the sampler's whole state");
        }
    }

    private double exactMean(OutputLayer layer, Tensor h, int[] t, int m) {
        double[] l = new double[m];
        layer.losses(h, t, l);
        double total = 0;
        for (double v : l) {
            total += v / m;
        }
        return total;
    }

    /** -log of the target's probability among itself and the sampled classes other than itself, logQ-corrected. */
    static double sampledLoss(double[] h, double[] w, int d, int[] cand, double[] logQ, int target) {
        double l0 = dot(w, target, h, d) - logQ[target];
        double mx = l0;
        double[] l = new double[cand.length];
        for (int j = 0; j < cand.length; j++) {
            l[j] = cand[j] == target ? Double.NEGATIVE_INFINITY : dot(w, cand[j], h, d) - logQ[cand[j]];
            mx = Math.max(mx, l[j]);
        }
        double sum = Math.exp(l0 - mx);
        for (double v : l) {
            sum += Math.exp(v - mx);
        }
        return mx + Math.log(sum) - l0;
    }

    private static double dot(double[] w, int row, double[] h, int d) {
        double s = w[row * (d + 1) + d];
        for (int j = 0; j < d; j++) {
            s += w[row * (d + 1) + j] * h[j];
        }
        return s;
    }

    // ---- adaptive softmax ---------------------------------------------------------------------------------------

    @Test
    void adaptiveSoftmaxProbabilitiesSumToOneAndMatchItsLosses() {
        int classes = 40;
        int d = 8;
        int m = 7;
        int[] t = {0, 5, 6, 19, 20, 39, 2};
        Random r = new Random(6);
        try (AdaptiveSoftmaxOutput a = new AdaptiveSoftmaxOutput(backend, classes, d, m, new int[] {6, 20}, 2);
             Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 2.0), m, d); Tensor out = backend.zeros(m, classes)) {
            a.scores(h, out);
            float[] logp = backend.toHost(out);
            double[] losses = new double[m];
            a.losses(h, t, losses);
            for (int i = 0; i < m; i++) {
                double sum = 0;
                for (int c = 0; c < classes; c++) {
                    sum += Math.exp(logp[i * classes + c]);
                }
                assertEquals(1.0, sum, 1e-5, "probabilities of example " + i);
                assertEquals(-logp[i * classes + t[i]], losses[i], 1e-5 * Math.max(1, losses[i]), "loss of example " + i);
            }
        }
    }

    @Test
    void adaptiveSoftmaxMatchesItsFloat64ReferenceInEveryMatrix() {
        int classes = 40;
        int d = 8;
        int m = 7;
        int[] cut = {6, 20};
        int[] t = {0, 5, 6, 19, 20, 39, 2};
        Random r = new Random(7);
        try (AdaptiveSoftmaxOutput a = new AdaptiveSoftmaxOutput(backend, classes, d, m, cut, 2);
             Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d); Tensor g = backend.zeros(m, d)) {
            String[] names = {"head", "proj1", "tail1", "proj2", "tail2"};
            double[][] p0 = new double[names.length][];
            for (int n = 0; n < names.length; n++) {
                p0[n] = Dense64.of(backend.toHost(a.state().get(names[n])), 1, (int) a.state().get(names[n]).size()).v;
            }
            double[] hh = Dense64.of(backend.toHost(h), m, d).v;
            double expected = adaptiveMean(hh, p0, cut, classes, d, t, m);
            double[] gh = inputGradient(hh, m, d, x -> adaptiveMean(x, p0, cut, classes, d, t, m));
            double loss = a.step(h, t, (float) ETA, g);
            assertEquals(expected, loss, 1e-5 * expected, "adaptive loss");
            double eh = Dense64.of(backend.toHost(g), m, d).relativeError(Dense64.of(toFloats(gh), m, d));
            assertTrue(eh < 1e-4, "dL/dH relative error " + eh);
            for (int n = 0; n < names.length; n++) {
                int which = n;
                double[] gp = weightGradient(p -> {
                    double[][] q = p0.clone();
                    q[which] = p;
                    return adaptiveMean(hh, q, cut, classes, d, t, m);
                }, p0[n].clone());
                double err = changeError(backend.toHost(a.state().get(names[n])), p0[n], ETA, gp);
                assertTrue(err < 1e-4, names[n] + " change relative error " + err);
            }
        }
    }

    @Test
    void adaptiveSoftmaxLeavesTheClustersWithoutTargetsAlone() {
        int classes = 40;
        int d = 8;
        int m = 4;
        int[] t = {0, 5, 6, 19};    // no target in the second tail cluster [20, 40)
        Random r = new Random(9);
        try (AdaptiveSoftmaxOutput a = new AdaptiveSoftmaxOutput(backend, classes, d, m, new int[] {6, 20}, 2);
             Tensor h = backend.fromHost(Dense64.randomFloats(r, m * d, 1.0), m, d)) {
            float[] proj2 = backend.toHost(a.state().get("proj2"));
            float[] tail2 = backend.toHost(a.state().get("tail2"));
            float[] tail1 = backend.toHost(a.state().get("tail1"));
            a.step(h, t, (float) ETA, null);
            assertArrayEquals(proj2, backend.toHost(a.state().get("proj2")), 0f);
            assertArrayEquals(tail2, backend.toHost(a.state().get("tail2")), 0f);
            assertTrue(!java.util.Arrays.equals(tail1, backend.toHost(a.state().get("tail1"))), "the first cluster learns");
        }
    }

    /** Mean over the examples of -log p(target) under the adaptive softmax, in double. */
    static double adaptiveMean(double[] hh, double[][] p, int[] cut, int classes, int d, int[] t, int m) {
        double total = 0;
        int n = cut.length;
        for (int i = 0; i < m; i++) {
            double[] x = new double[d + 1];
            System.arraycopy(hh, i * d, x, 0, d);
            x[d] = 1;
            double[] headLogits = affine(p[0], cut[0] + n, d + 1, x);
            int y = t[i];
            int c = -1;
            for (int k = n - 1; k >= 0 && c < 0; k--) {
                c = y >= cut[k] ? k : -1;
            }
            total -= logSoftmaxAt(headLogits, c < 0 ? y : cut[0] + c);
            if (c >= 0) {
                int width = (int) Math.max(1, d / Math.pow(4, c + 1));
                int size = (c + 1 < n ? cut[c + 1] : classes) - cut[c];
                double[] z = affine(p[1 + 2 * c], width, d + 1, x);
                double[] logits = affine(p[2 + 2 * c], size, width, z);
                total -= logSoftmaxAt(logits, y - cut[c]);
            }
        }
        return total / m;
    }

    private static double[] affine(double[] w, int rows, int cols, double[] x) {
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                s += w[r * cols + j] * x[j];
            }
            out[r] = s;
        }
        return out;
    }

    private static double logSoftmaxAt(double[] z, int k) {
        double mx = Double.NEGATIVE_INFINITY;
        for (double v : z) {
            mx = Math.max(mx, v);
        }
        double sum = 0;
        for (double v : z) {
            sum += Math.exp(v - mx);
        }
        return z[k] - mx - Math.log(sum);
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    private static double[] inputGradient(double[] hh, int m, int d, ToDoubleFunction<double[]> meanLoss) {
        return weightGradient(meanLoss, hh.clone());
    }

    private void assertGradientAndChange(Tensor g, double[] gh, int m, int d, float[] w1, double[] w0, double[] gw,
                                         String name) {
        double eh = Dense64.of(backend.toHost(g), m, d).relativeError(Dense64.of(toFloats(gh), m, d));
        assertTrue(eh < 1e-4, "dL/dH relative error " + eh);
        double ew = changeError(w1, w0, ETA, gw);
        assertTrue(ew < 1e-4, name + "_1 - " + name + "_0 relative error " + ew);
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) {
            if (x == v) {
                return true;
            }
        }
        return false;
    }

    private static float[] toFloats(double[] v) {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }
}
