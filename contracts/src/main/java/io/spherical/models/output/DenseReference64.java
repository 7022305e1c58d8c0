package io.spherical.models.output;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.Dense64;

/**
 * The oracle: docs/ALGORITHM.md 3 in double precision on the host. O = W H, G = 2 O diag(fq) + 1 fs^T + Y', dL/dH = W^T G,
 * W &lt;- W - eta G H^T, with the mean loss (partials divided by m), in the batch-major layout.
 */
public final class DenseReference64 {
    /** D x d weights, bias column last. */
    public final Dense64 w;
    private final SphericalLoss loss;
    private final double bias;
    private final int dIn;
    private Dense64 gradScale;
    private double stepBound = Double.POSITIVE_INFINITY;
    private int controlled;

    /** Starts from the given weights. */
    public DenseReference64(float[] w0, int classes, int inputDim, float bias, SphericalLoss loss) {
        int d = bias == 0f ? inputDim : inputDim + 1;
        this.w = Dense64.of(w0, classes, d);
        this.loss = loss;
        this.bias = bias;
        this.dIn = inputDim;
    }

    /**
     * Applies the factored layer's step control: when {@code lambda = ||2 eta Hb diag(|fq|) Hb^T||_2} exceeds the
     * bound, every partial of the minibatch is scaled by {@code bound / lambda}. lambda is computed here from the
     * d x d matrix (the layer uses the m x m one), by power iteration run to convergence in double.
     */
    public DenseReference64 withStepBound(double bound) {
        this.stepBound = bound;
        return this;
    }

    /** Steps whose partials the step control scaled. */
    public int controlledSteps() {
        return controlled;
    }

    static double largestEigenvalue(Dense64 a) {
        int n = a.rows;
        double[] x = new double[n];
        java.util.Arrays.fill(x, 1.0 / Math.sqrt(n));
        double lambda = 0;
        for (int it = 0; it < 5000; it++) {
            double[] y = new double[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    y[i] += a.get(i, j) * x[j];
                }
            }
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                dot += x[i] * y[i];
                norm += y[i] * y[i];
            }
            norm = Math.sqrt(norm);
            double prev = lambda;
            lambda = dot;
            if (norm == 0) {
                return 0;
            }
            for (int i = 0; i < n; i++) {
                x[i] = y[i] / norm;
            }
            if (Math.abs(lambda - prev) <= 1e-13 * lambda) {
                break;
            }
        }
        return lambda;
    }

    /** Hb: h with the bias column appended. */
    public Dense64 withBias(float[] h, int m) {
        Dense64 hb = new Dense64(m, w.cols);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < dIn; j++) {
                hb.set(i, j, h[i * dIn + j]);
            }
            if (w.cols > dIn) {
                hb.set(i, dIn, bias);
            }
        }
        return hb;
    }

    /** Outputs, batch-major (m x D). */
    public Dense64 outputs(float[] h, int m) {
        return withBias(h, m).times(w.t());
    }

    /** q, s, a per example into out[0], out[1], out[2]. */
    public void stats(float[] h, int m, int[] targets, double[][] out) {
        Dense64 o = outputs(h, m);
        for (int i = 0; i < m; i++) {
            double q = 0;
            double s = 0;
            for (int k = 0; k < o.cols; k++) {
                q += o.get(i, k) * o.get(i, k);
                s += o.get(i, k);
            }
            out[0][i] = q;
            out[1][i] = s;
            out[2][i] = o.get(i, targets[i]);
        }
    }

    /** One SGD step; returns dL/dH (m x inputDim) and writes the mean loss into lossOut[0]. */
    public Dense64 step(float[] h, int m, int[] targets, double eta, double[] lossOut) {
        Dense64 hb = withBias(h, m);
        Dense64 o = hb.times(w.t());
        Dense64 g = new Dense64(m, w.rows);
        double total = 0;
        double[][] part = new double[m][3];
        double trace = 0; // sum_i 2 eta |fq_i| ||h_i||^2, the layer's cheap upper bound of lambda
        for (int i = 0; i < m; i++) {
            double q = 0;
            double s = 0;
            double hn = 0;
            for (int k = 0; k < o.cols; k++) {
                q += o.get(i, k) * o.get(i, k);
                s += o.get(i, k);
            }
            for (int j = 0; j < hb.cols; j++) {
                hn += hb.get(i, j) * hb.get(i, j);
            }
            total += loss.evaluate(q, s, o.get(i, targets[i]), w.rows, part[i]);
            trace += 2 * eta * Math.abs(part[i][0] / m) * hn;
        }
        double c = 1.0;
        if (trace > stepBound) {
            Dense64 spread = new Dense64(hb.cols, hb.cols);
            for (int i = 0; i < m; i++) {
                double wgt = 2 * eta * Math.abs(part[i][0] / m);
                for (int j = 0; j < hb.cols; j++) {
                    for (int k = 0; k < hb.cols; k++) {
                        spread.v[j * hb.cols + k] += wgt * hb.get(i, j) * hb.get(i, k);
                    }
                }
            }
            double lambda = largestEigenvalue(spread);
            if (lambda > stepBound) {
                c = stepBound / lambda;
                controlled++;
            }
        }
        for (int i = 0; i < m; i++) {
            double[] p = part[i];
            for (int k = 0; k < o.cols; k++) {
                g.set(i, k, c * (2 * p[0] * o.get(i, k) + p[1]) / m);
            }
            g.set(i, targets[i], g.get(i, targets[i]) + c * p[2] / m);
        }
        lossOut[0] = total / m;
        Dense64 gradFull = g.times(w);
        gradScale = abs(g).times(abs(w));
        Dense64 grad = new Dense64(m, dIn);
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < dIn; j++) {
                grad.set(i, j, gradFull.get(i, j));
            }
        }
        Dense64 dw = g.t().times(hb);
        for (int i = 0; i < w.v.length; i++) {
            w.v[i] -= eta * dw.v[i];
        }
        return grad;
    }

    /** |G| |W| of the last step (the error scale of dL/dH), restricted to the input columns. */
    public Dense64 lastGradientScale() {
        Dense64 r = new Dense64(gradScale.rows, dIn);
        for (int i = 0; i < r.rows; i++) {
            for (int j = 0; j < dIn; j++) {
                r.set(i, j, gradScale.get(i, j));
            }
        }
        return r;
    }

    private static Dense64 abs(Dense64 a) {
        Dense64 r = a.copy();
        for (int i = 0; i < r.v.length; i++) {
            r.v[i] = Math.abs(r.v[i]);
        }
        return r;
    }

    /** W^T W. */
    public Dense64 gram() {
        return w.t().times(w);
    }

    /** W^T 1 as a 1 x d matrix. */
    public Dense64 columnSums() {
        Dense64 r = new Dense64(1, w.cols);
        for (int i = 0; i < w.rows; i++) {
            for (int j = 0; j < w.cols; j++) {
                r.v[j] += w.get(i, j);
            }
        }
        return r;
    }
}
