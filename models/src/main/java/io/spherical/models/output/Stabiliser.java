package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import java.util.Random;
import java.util.stream.IntStream;

/**
 * Keeps the factored state healthy without changing W (docs/ALGORITHM.md 6): singular-value control of U with a
 * refresh of U^-1, and the drift measurement of Q and wbar against W. Randomness (the start vectors of the power
 * iterations and the drift direction) derives from the seed and the step count only, so a resumed run repeats it.
 */
final class Stabiliser {
    private static final int POWER_ITERATIONS = 30;
    private static final double SIGMA_LOW = 0.5;
    private static final double SIGMA_HIGH = 2.0;

    /** What stabilisation has done so far. */
    record Counters(int corrections, int rescales, int hostSolves) {
    }

    private final Backend b;
    private final FactoredState st;
    private final NewtonSchulz newtonSchulz;
    private final long seed;
    private final int d;
    private final int classes;
    private int corrections;
    private int rescales;
    private int hostSolves;

    Stabiliser(Backend backend, FactoredState state, NewtonSchulz newtonSchulz, long seed) {
        this.b = backend;
        this.st = state;
        this.newtonSchulz = newtonSchulz;
        this.seed = seed;
        this.d = state.u.rows();
        this.classes = state.v.rows();
    }

    Counters counters() {
        return new Counters(corrections, rescales, hostSolves);
    }

    /**
     * When U's extreme singular values leave [0.5, 2]: a scalar rescale {@code U <- U / c}, {@code V <- V c}
     * ({@code c} the geometric mean of the extremes), then rank-one corrections {@code U <- C U}, {@code V <- V C^-1}
     * that bring a remaining extreme back to 1; finally U^-1 is refreshed by Newton-Schulz from its kept value.
     * O(d^3), plus two passes over V when it is touched (the rescale and the corrections applied at once).
     */
    void stabilise(long step) {
        try (Tensor xMax = b.zeros(d, 1); Tensor xMin = b.zeros(d, 1); Tensor y = b.zeros(d, 1);
             Tensor row = b.zeros(1, d); Tensor e = b.zeros(d, d); Tensor t = b.zeros(d, d); Tensor ones = b.zeros(d, 1)) {
            // largest: power iteration on U U^T gives the left singular vector of sigma_max
            double sMax = power(st.u, false, xMax, y, step);
            // smallest: power iteration on Uinv^T Uinv gives U's left singular vector of sigma_min
            double sMin = 1.0 / power(st.uinv, true, xMin, y, step);
            double c = 1;
            if (sMax > SIGMA_HIGH || sMin < SIGMA_LOW) {
                c = Math.sqrt(sMax * sMin);
                b.scale((float) (1.0 / c), st.u);
                b.scale((float) c, st.uinv);
                sMax /= c;
                sMin /= c;
                rescales++;
            }
            float[][] x = new float[2][];
            double[] alpha = new double[2];
            int k = 0;
            if (sMax > SIGMA_HIGH) {
                alpha[k] = correct(xMax, 1.0 / sMax, row, y);
                x[k++] = b.toHost(xMax);
            }
            if (sMin < SIGMA_LOW) {
                alpha[k] = correct(xMin, 1.0 / sMin, row, y);
                x[k++] = b.toHost(xMin);
            }
            transformV(c, x, alpha, k);
            int[] diag = IntStream.range(0, d).toArray();
            if (!newtonSchulz.invert(st.u, st.uinv, new NewtonSchulz.Workspace(e, t, ones, y, diag), true)) {
                hostSolves++;
                st.identity(e);
                b.solve(st.u, e, st.uinv);
            }
        }
    }

    /**
     * {@code V <- c V (I + alpha_1 x_1 x_1^T) ... (I + alpha_k x_k x_k^T)}, the rescale and the corrections' inverses
     * applied to V in two passes over it whatever k is: {@code P = V L} (D x k), then one GEMM
     * {@code V <- c V + c P R^T}, with {@code L = [x_1 .. x_k]} and R expanding the product (for k = 2,
     * {@code R = [alpha_1 x_1 + alpha_1 alpha_2 (x_1 . x_2) x_2, alpha_2 x_2]}). Applied one after another they would
     * take 2k + 1 passes over the largest array of the model.
     */
    private void transformV(double c, float[][] x, double[] alpha, int k) {
        if (k == 0) {
            if (c != 1) {
                b.scale((float) c, st.v);
            }
            return;
        }
        float[] l = new float[d * k];
        float[] r = new float[d * k];
        double x12 = 0;
        if (k == 2) {
            for (int i = 0; i < d; i++) {
                x12 += (double) x[0][i] * x[1][i];
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < k; j++) {
                l[i * k + j] = x[j][i];
            }
            r[i * k] = (float) (alpha[0] * x[0][i] + (k == 2 ? alpha[0] * alpha[1] * x12 * x[1][i] : 0));
            if (k == 2) {
                r[i * k + 1] = (float) (alpha[1] * x[1][i]);
            }
        }
        try (Tensor lt = b.fromHost(l, d, k); Tensor rt = b.fromHost(r, d, k); Tensor p = b.zeros(classes, k)) {
            b.gemm(1f, st.v, false, lt, false, 0f, p);                      // P = V L
            b.gemm((float) c, p, false, rt, true, (float) c, st.v);           // V <- c V + c P R^T
        }
    }

    /** Largest singular value of A by power iteration; leaves the unit dominant vector in x. */
    private double power(Tensor a, boolean onInverse, Tensor x, Tensor y, long step) {
        Random rnd = random(step, onInverse ? 2 : 1);
        float[] hx = new float[d];
        for (int i = 0; i < d; i++) {
            hx[i] = (float) rnd.nextGaussian();
        }
        normalise(hx);
        b.upload(hx, x);
        double sigma = 0;
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            if (onInverse) {
                b.gemm(1f, a, false, x, false, 0f, y);   // y = Uinv x
                b.gemm(1f, a, true, y, false, 0f, x);    // x = Uinv^T y
            } else {
                b.gemm(1f, a, true, x, false, 0f, y);    // y = U^T x
                b.gemm(1f, a, false, y, false, 0f, x);   // x = U y
            }
            b.download(x, hx);
            sigma = Math.sqrt(normalise(hx));
            b.upload(hx, x);
        }
        return sigma;
    }

    private static double normalise(float[] x) {
        double n = 0;
        for (float f : x) {
            n += (double) f * f;
        }
        n = Math.sqrt(n);
        if (n == 0) {
            x[0] = 1f;
            return 0;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] / n);
        }
        return n;
    }

    /**
     * U &lt;- C U and U^-1 &lt;- U^-1 C^-1 for C = I + (t-1) x x^T, x a unit vector (C^-1 = I + (1/t - 1) x x^T);
     * returns {@code 1/t - 1}, with which V &lt;- V C^-1 is applied later (see {@link #transformV}).
     */
    private double correct(Tensor x, double t, Tensor row, Tensor col) {
        b.gemm(1f, x, true, st.u, false, 0f, row);                       // x^T U
        b.gemm((float) (t - 1), x, false, row, false, 1f, st.u);
        b.gemm(1f, st.uinv, false, x, false, 0f, col);                   // U^-1 x
        b.gemm((float) (1.0 / t - 1), col, false, x, true, 1f, st.uinv);
        corrections++;
        return 1.0 / t - 1;
    }

    /**
     * The drift of the kept Q and wbar from the true {@code W^T W} and {@code W^T 1}, measured on a random unit
     * direction x: {@code max(|x^T Q x - ||W x||^2| / ||W x||^2, |wbar.x - 1^T W x| / (sqrt(D) ||W x||))}. O(D d).
     */
    double measureDrift(long step) {
        Random rnd = random(step, 3);
        float[] hx = new float[d];
        for (int i = 0; i < d; i++) {
            hx[i] = (float) rnd.nextGaussian();
        }
        normalise(hx);
        try (Tensor x = b.fromHost(hx, d, 1); Tensor ux = b.zeros(d, 1); Tensor wx = b.zeros(classes, 1);
             Tensor qx = b.zeros(d, 1); Tensor scalar = b.zeros(1, 1); Tensor sums = b.zeros(1, 1)) {
            b.gemm(1f, st.u, false, x, false, 0f, ux);
            b.gemm(1f, st.v, false, ux, false, 0f, wx);          // V U x
            b.gemm(1f, st.omega, false, x, false, 0f, scalar);   // omega . x
            double w0 = b.toHost(scalar)[0];
            b.reduceColumns(Reduction.SUM_SQUARES, wx, sums);
            double sq = b.toHost(sums)[0];
            b.reduceColumns(Reduction.SUM, wx, sums);
            double sum = b.toHost(sums)[0];
            double trueQ = sq + 2 * w0 * sum + (double) classes * w0 * w0;
            double trueS = sum + classes * w0;
            b.gemm(1f, st.q, false, x, false, 0f, qx);
            b.gemm(1f, x, true, qx, false, 0f, scalar);
            double keptQ = b.toHost(scalar)[0];
            b.gemm(1f, st.wbar, false, x, false, 0f, scalar);
            double keptS = b.toHost(scalar)[0];
            double dq = Math.abs(keptQ - trueQ) / Math.max(trueQ, 1e-30);
            double ds = Math.abs(keptS - trueS) / Math.max(Math.sqrt(classes * trueQ), 1e-30);
            return Math.max(dq, ds);
        }
    }

    private Random random(long step, int purpose) {
        return new Random(seed * 1_000_003L + step * 31 + purpose);
    }
}
