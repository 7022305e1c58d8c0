package io.spherical.models.output;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.Dense64;

/**
 * The oracle: SPEC.md 3 in double precision on the host. O = W H, G = 2 O diag(fq) + 1 fs^T + Y', dL/dH = W^T G,
 * W &lt;- W - eta G H^T, with the mean loss (partials divided by m), in the batch-major layout.
 */
public final class DenseReference64 {
    /** D x d weights, bias column last. */
    public final Dense64 w;
    private final SphericalLoss loss;
    private final double bias;
    private final int dIn;
    private Dense64 gradScale;

    /** Starts from the given weights. */
    public DenseReference64(float[] w0, int classes, int inputDim, float bias, SphericalLoss loss) {
        int d = bias == 0f ? inputDim : inputDim + 1;
        this.w = Dense64.of(w0, classes, d);
        this.loss = loss;
        this.bias = bias;
        this.dIn = inputDim;
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
        double[] p = new double[3];
        double total = 0;
        for (int i = 0; i < m; i++) {
            double q = 0;
            double s = 0;
            for (int k = 0; k < o.cols; k++) {
                q += o.get(i, k) * o.get(i, k);
                s += o.get(i, k);
            }
            total += loss.evaluate(q, s, o.get(i, targets[i]), w.rows, p);
            for (int k = 0; k < o.cols; k++) {
                g.set(i, k, (2 * p[0] * o.get(i, k) + p[1]) / m);
            }
            g.set(i, targets[i], g.get(i, targets[i]) + p[2] / m);
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
