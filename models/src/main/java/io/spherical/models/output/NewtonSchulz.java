package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;

/**
 * The inverse of a matrix close to the identity by Newton-Schulz iterations {@code X <- X + X (I - A X)}, on the
 * backend's GEMMs. The residual {@code I - A X} squares at every iteration, so from {@code X = 2I - A} (or a kept
 * inverse) a handful of iterations reach float32 precision. Used for the Woodbury matrix K of every factored step
 * and for the refresh of U^-1 after stabilisation. It reports failure instead of returning a poor inverse, so that
 * the caller can fall back to a direct solve.
 */
final class NewtonSchulz {
    static final int MAX_ITERATIONS = 12;
    /** Stop when the Frobenius norm of the residual is below this times sqrt(n): float32 working precision. */
    static final double CONVERGED = 1e-7;
    /** The largest residual accepted as an inverse. */
    static final double ACCEPT = 1e-4;

    /** Scratch for inverting n x n matrices: two n x n buffers, two n x 1 vectors and the diagonal's indices. */
    record Workspace(Tensor e, Tensor t, Tensor ones, Tensor norms, int[] diag) {
    }

    private final Backend b;
    private float[] host;

    NewtonSchulz(Backend backend, int size) {
        this.b = backend;
        this.host = new float[size];
    }

    /**
     * Writes {@code a^-1} into x.
     *
     * @param warm start from the x given (a kept inverse) instead of {@code 2I - a}
     * @return whether the residual reached {@link #ACCEPT}; false when it stopped shrinking first
     */
    boolean invert(Tensor a, Tensor x, Workspace w, boolean warm) {
        int n = a.rows();
        if (!warm) {
            b.copy(a, x);
            b.scale(-1f, x);
            b.fill(w.ones(), 1f);
            b.addToElements(2f, w.ones(), w.diag(), x);     // x = 2I - a
        }
        if (host.length < n) {
            host = new float[n];
        }
        double prev = Double.POSITIVE_INFINITY;
        for (int it = 0; it < MAX_ITERATIONS; it++) {
            b.gemm(-1f, a, false, x, false, 0f, w.e());      // e = -a x
            b.fill(w.ones(), 1f);
            b.addToElements(1f, w.ones(), w.diag(), w.e());  // e = I - a x
            b.reduceRows(Reduction.SUM_SQUARES, w.e(), w.norms());
            b.download(w.norms(), host);
            double res = 0;
            for (int i = 0; i < n; i++) {
                res += host[i];
            }
            res = Math.sqrt(res);
            if (!(res < prev * 0.5) || res < CONVERGED * Math.sqrt(n)) {
                return res < ACCEPT;                          // converged, or no longer improving
            }
            b.gemm(1f, x, false, w.e(), false, 0f, w.t());    // x <- x + x e
            b.axpy(1f, w.t(), x);
            prev = res;
        }
        return false;
    }
}
