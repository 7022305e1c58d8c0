package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.stream.IntStream;

/**
 * Step 9 of the factored update (docs/ALGORITHM.md 5): the kept {@code U^-1} follows step 8's
 * {@code U_new = U A}, {@code A = I + H^T C H} ({@code d x d}, {@code C = diag(-2 eta fq)}), in one of two exact forms:
 * <ul>
 *   <li>m &lt;= d, Woodbury: {@code U^-1 -= H^T C K^-1 H U^-1} with the {@code m x m} matrix {@code K = I + H H^T C},
 *       inverted by Newton-Schulz; {@code O(m^2 d + m^3)};</li>
 *   <li>m &gt; d, through the factor: {@code U^-1 <- A^-1 U^-1}, A formed by one {@code d x m x d} product and
 *       inverted by Newton-Schulz from {@code 2I - A}; {@code O(m d^2 + d^3)}. The same update, cheaper once m
 *       exceeds d; it keeps the step that N data-parallel workers repeat on N m gathered examples linear in N.</li>
 * </ul>
 * When Newton-Schulz does not converge (a very large step) the host solve takes over; the caller counts it.
 */
final class InverseUpdate implements AutoCloseable {
    private final Backend b;
    private final NewtonSchulz newtonSchulz;
    private final int d;
    /** K on the host (built with M by {@link SmallMatrices}); uploaded only when the Woodbury form uses it. */
    private final float[] hostK;
    /** The d x d form's buffers: A, its inverse, the product and Newton-Schulz's scratch. */
    private Tensor a;
    private Tensor ainv;
    private Tensor next;
    private NewtonSchulz.Workspace ws;

    InverseUpdate(Backend backend, int d, int maxBatch, NewtonSchulz newtonSchulz, float[] hostK) {
        this.b = backend;
        this.d = d;
        this.hostK = hostK;
        this.newtonSchulz = newtonSchulz;
        if (maxBatch > d) {
            a = b.zeros(d, d);
            ainv = b.zeros(d, d);
            next = b.zeros(d, d);
            ws = new NewtonSchulz.Workspace(b.zeros(d, d), b.zeros(d, d), b.zeros(d, 1), b.zeros(d, 1),
                    IntStream.range(0, d).toArray());
        }
    }

    /**
     * Updates {@code uinv} for the step whose H (with the bias column) is {@code w.hb}, whose C is in {@code w.c} and
     * whose K is on the host; returns false when the host solve had to replace Newton-Schulz.
     */
    boolean apply(StepBuffers.View w, Tensor uinv) {
        return w.hb.rows() > d ? throughFactor(w, uinv) : woodbury(w, uinv);
    }

    private boolean woodbury(StepBuffers.View w, Tensor uinv) {
        b.upload(hostK, w.k);
        b.gemm(1f, w.hb, false, uinv, false, 0f, w.y);                  // H Uinv
        boolean converged = newtonSchulz.invert(w.k, w.kinv, w.inverse, false);
        if (converged) {
            b.gemm(1f, w.kinv, false, w.y, false, 0f, w.x);
        } else {
            b.solve(w.k, w.y, w.x);
        }
        b.scaleRows(w.x, w.c, w.x);
        b.gemm(-1f, w.hb, true, w.x, false, 1f, uinv);
        return converged;
    }

    private boolean throughFactor(StepBuffers.View w, Tensor uinv) {
        b.scaleRows(w.hb, w.c, w.y);                                    // C H
        b.gemm(1f, w.hb, true, w.y, false, 0f, a);                      // H^T C H
        b.fill(ws.ones(), 1f);
        b.addToElements(1f, ws.ones(), ws.diag(), a);                   // A = I + H^T C H
        boolean converged = newtonSchulz.invert(a, ainv, ws, false);
        if (converged) {
            b.gemm(1f, ainv, false, uinv, false, 0f, next);
        } else {
            b.solve(a, uinv, next);
        }
        b.copy(next, uinv);
        return converged;
    }

    @Override
    public void close() {
        if (a != null) {
            for (Tensor t : new Tensor[] {a, ainv, next, ws.e(), ws.t(), ws.ones(), ws.norms()}) {
                t.close();
            }
        }
    }
}
