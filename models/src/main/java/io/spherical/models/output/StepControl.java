package io.spherical.models.output;

/**
 * Keeps a factored step within what the update can take (docs/ALGORITHM.md 5, step control). One step multiplies U
 * by {@code A = I - 2 eta Hb^T diag(fq) Hb}, and the Woodbury inverse needs K = I + H H^T C, whose eigenvalues other
 * than 1 are A's, to stay near I. When {@code lambda = ||2 eta Hb^T diag(|fq|) Hb||_2} exceeds the bound, the
 * layer scales every example's three partials by {@code bound / lambda}: the step becomes the exact SGD step of the
 * minibatch's loss times that factor (and dL/dH is that loss's too), so a step can no longer flip or collapse U.
 *
 * <p>lambda is the largest eigenvalue of the m x m matrix {@code S H H^T S} with {@code S = diag(sqrt(2 eta |fq|))},
 * or equally (the same nonzero spectrum) of the d x d matrix {@code H^T S^2 H}, found by power iteration on the host:
 * the m x m form of the step passes {@code H H^T} ({@link #apply}), the d x d form ({@link WidthProducts}) forms
 * {@code H^T S^2 H} from the {@link #weight weights} and passes it to {@link #applyWidth}. lambda is computed only
 * when its upper bound, the trace {@code sum_i 2 eta |fq_i| ||h_i||^2}, exceeds the bound, which in ordinary training
 * it does not; the d x d form gets the trace from the rows' squared norms ({@link #beyondTrace}).
 */
final class StepControl {
    private static final int MAX_ITERATIONS = 500;
    private static final double CONVERGED = 1e-9;

    private final double bound;
    private final double[] share;
    private final double[] x;
    private final double[] y;

    /**
     * Control with the given bound on lambda ({@link FactoredConfig#DEFAULT_STEP_BOUND}; infinity disables).
     *
     * @param size the larger of the largest minibatch and d (the sizes of the matrices whose spectrum it measures)
     */
    StepControl(int size, double bound) {
        this.bound = bound;
        share = new double[size];
        x = new double[size];
        y = new double[size];
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
        double lambda = largestEigenvalue(hh, m, true);
        return lambda > bound ? bound / lambda : 1.0;
    }

    /**
     * Scales the partials of a minibatch in place when its step is too large; returns whether it did.
     *
     * @param hh H H^T, m x m row-major
     */
    boolean apply(double[] fq, double[] fs, double[] fa, float[] hh, int m, float eta) {
        return scale(factor(fq, hh, m, eta), fq, fs, fa, m);
    }

    /**
     * The d x d form, first half: whether the trace bound {@code sum_i 2 eta |fq_i| ||h_i||^2} exceeds the bound, so
     * that lambda must be computed; keeps the weights {@code 2 eta |fq_i|} for {@link #weight}.
     *
     * @param sqNorms {@code ||h_i||^2} per example (the diagonal of {@code H H^T}, without forming it)
     */
    boolean beyondTrace(double[] fq, float[] sqNorms, int m, float eta) {
        double trace = 0;
        for (int i = 0; i < m; i++) {
            share[i] = Math.sqrt(2.0 * eta * Math.abs(fq[i]));
            trace += share[i] * share[i] * sqNorms[i];
        }
        return trace > bound;
    }

    /** Example i's weight {@code 2 eta |fq_i|} in {@code H^T diag(weights) H}, after {@link #beyondTrace}. */
    double weight(int i) {
        return share[i] * share[i];
    }

    /**
     * The d x d form, second half: scales the partials in place when lambda, the largest eigenvalue of
     * {@code scale * s}, exceeds the bound; returns whether it did.
     *
     * @param s     {@code H^T diag(weights) H / scale}, n x n row-major (n = d)
     * @param scale the factor taken out of the weights before they were rounded to float (their largest)
     */
    boolean applyWidth(double[] fq, double[] fs, double[] fa, float[] s, double scale, int n, int m) {
        double lambda = scale * largestEigenvalue(s, n, false);
        return scale(lambda > bound ? bound / lambda : 1.0, fq, fs, fa, m);
    }

    private static boolean scale(double c, double[] fq, double[] fs, double[] fa, int m) {
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

    /**
     * Largest eigenvalue of the symmetric positive semi-definite {@code S a S} ({@code weighted}: S = diag(share), the
     * m x m form) or of {@code a} itself (the d x d form) by power iteration with Rayleigh quotients, from the all-ones
     * vector.
     */
    private double largestEigenvalue(float[] a, int n, boolean weighted) {
        java.util.Arrays.fill(x, 0, n, 1.0 / Math.sqrt(n));
        double lambda = 0;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            double dot = 0;
            double norm = 0;
            for (int i = 0; i < n; i++) {
                double acc = 0;
                int row = i * n;
                if (weighted) {
                    for (int j = 0; j < n; j++) {
                        acc += a[row + j] * share[j] * x[j];
                    }
                    y[i] = share[i] * acc;
                } else {
                    for (int j = 0; j < n; j++) {
                        acc += a[row + j] * x[j];
                    }
                    y[i] = acc;
                }
                dot += x[i] * y[i];
                norm += y[i] * y[i];
            }
            double prev = lambda;
            lambda = dot;
            norm = Math.sqrt(norm);
            if (norm == 0) {
                return 0;
            }
            for (int i = 0; i < n; i++) {
                x[i] = y[i] / norm;
            }
            if (Math.abs(lambda - prev) <= CONVERGED * lambda) {
                break;
            }
        }
        return lambda;
    }
}
