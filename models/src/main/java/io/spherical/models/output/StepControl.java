package io.spherical.models.output;

/**
 * Keeps a factored step within what the update can take (docs/ALGORITHM.md 5, step control). One step multiplies U
 * by {@code A = I - 2 eta Hb^T diag(fq) Hb}, and the Woodbury inverse needs K = I + H H^T C, whose eigenvalues other
 * than 1 are A's, to stay near I. When {@code lambda = ||2 eta Hb^T diag(|fq|) Hb||_2} exceeds the bound, the
 * layer scales every example's three partials by {@code bound / lambda}: the step becomes the exact SGD step of the
 * minibatch's loss times that factor (and dL/dH is that loss's too), so a step can no longer flip or collapse U.
 *
 * <p>lambda is the largest eigenvalue of the m x m matrix {@code S H H^T S} with {@code S = diag(sqrt(2 eta |fq|))},
 * found by power iteration on the host; it is computed only when its upper bound, the trace
 * {@code sum_i 2 eta |fq_i| ||h_i||^2}, exceeds the bound, which in ordinary training it does not.
 */
final class StepControl {
    private static final int MAX_ITERATIONS = 500;
    private static final double CONVERGED = 1e-9;

    private final double bound;
    private final double[] share;
    private final double[] x;
    private final double[] y;

    /** Control with the given bound on lambda ({@link FactoredConfig#DEFAULT_STEP_BOUND}; infinity disables). */
    StepControl(int maxBatch, double bound) {
        this.bound = bound;
        share = new double[maxBatch];
        x = new double[maxBatch];
        y = new double[maxBatch];
    }

    /**
     * The factor (at most 1) by which the partials must be scaled.
     *
     * @param fq  the partials df/dq of the mean loss, per example
     * @param hh  H^T H, m x m row-major (its diagonal holds ||h_i||^2)
     */
    double factor(double[] fq, float[] hh, int m, float eta) {
        double trace = 0;
        for (int i = 0; i < m; i++) {
            share[i] = Math.sqrt(2.0 * eta * Math.abs(fq[i]));
            trace += share[i] * share[i] * hh[i * m + i];
        }
        if (!(trace > bound)) {
            return 1.0;
        }
        double lambda = largestEigenvalue(hh, m);
        return lambda > bound ? bound / lambda : 1.0;
    }

    /**
     * Scales the partials of a minibatch in place when its step is too large; returns whether it did.
     *
     * @param hh H H^T, m x m row-major
     */
    boolean apply(double[] fq, double[] fs, double[] fa, float[] hh, int m, float eta) {
        double c = factor(fq, hh, m, eta);
        if (!(c < 1)) {
            return false;
        }
        for (int i = 0; i < m; i++) {
            fq[i] *= c;
            fs[i] *= c;
            fa[i] *= c;
        }
        return true;
    }

    /** Largest eigenvalue of {@code S H^T H S} by power iteration with Rayleigh quotients, from the all-ones vector. */
    private double largestEigenvalue(float[] hh, int m) {
        java.util.Arrays.fill(x, 0, m, 1.0 / Math.sqrt(m));
        double lambda = 0;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < m; i++) {
                double acc = 0;
                int row = i * m;
                for (int j = 0; j < m; j++) {
                    acc += hh[row + j] * share[j] * x[j];
                }
                y[i] = share[i] * acc;
                dot += x[i] * y[i];
                norm += y[i] * y[i];
            }
            double prev = lambda;
            lambda = dot;
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return 0;
            }
            for (int i = 0; i < m; i++) {
                x[i] = y[i] / norm;
            }
            if (Math.abs(lambda - prev) <= CONVERGED * lambda) {
                break;
            }
        }
        return lambda;
    }
}
