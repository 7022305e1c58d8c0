package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.stream.IntStream;

/**
 * Step 9 of the factored update (docs/ALGORITHM.md 5): the kept {@code U^-1} follows step 8's
 * {@code U_new = U A}, {@code A = I + H^T C H} ({@code d x d}, {@code C = diag(-2 eta fq)}), in one of two exact forms:
 * <ul>
 *   <li>Woodbury, for the m x m form of the step ({@link BatchProducts}, m &lt;= d):
 *       {@code U^-1 -= H^T C K^-1 H U^-1} with the {@code m x m} matrix {@code K = I + H H^T C}, inverted by
 *       Newton-Schulz; {@code O(m^2 d + m^3)};</li>
 *   <li>through the factor, for the d x d form ({@link WidthProducts}, m &gt; d): {@code U^-1 <- A^-1 U^-1}, A formed
 *       from the caller's {@code H^T C H} and inverted by Newton-Schulz from {@code 2I - A}; {@code O(d^3)} after the
 *       caller's {@code d x m x d} product. The same update, cheaper once m exceeds d; it keeps the step that N
 *       data-parallel workers repeat on N m gathered examples linear in N.</li>
 * </ul>
 * When Newton-Schulz does not converge (a very large step) the host solve takes over; the caller counts it. Only the
 * chosen form's buffers are allocated (the Woodbury form uses the step's {@code m x m} buffers).
 */
final class InverseUpdate implements AutoCloseable {
    private final Backend b;
    private final NewtonSchulz newtonSchulz;
    /** K on the host (built with M by {@link SmallMatrices}); null for the d x d form. */
    private final float[] hostK;
    /** The d x d form's buffers: A, its inverse, the product and Newton-Schulz's scratch (null for Woodbury). */
    private final Tensor a;
    private final Tensor ainv;
    private final Tensor next;
    private final NewtonSchulz.Workspace ws;

    /** The Woodbury form, which inverts the step's K (given on the host in {@code hostK}). */
    static InverseUpdate woodburyForm(Backend backend, NewtonSchulz newtonSchulz, float[] hostK) {
        return new InverseUpdate(backend, newtonSchulz, hostK, 0);
    }

    /** The form through the {@code d x d} factor A, with its buffers. */
    static InverseUpdate factorForm(Backend backend, NewtonSchulz newtonSchulz, int d) {
        return new InverseUpdate(backend, newtonSchulz, null, d);
    }

    private InverseUpdate(Backend backend, NewtonSchulz newtonSchulz, float[] hostK, int d) {
        this.b = backend;
        this.newtonSchulz = newtonSchulz;
        this.hostK = hostK;
        if (d > 0) {
            a = b.zeros(d, d);
            ainv = b.zeros(d, d);
            next = b.zeros(d, d);
            ws = new NewtonSchulz.Workspace(b.zeros(d, d), b.zeros(d, d), b.zeros(d, 1), b.zeros(d, 1),
                    IntStream.range(0, d).toArray());
        } else {
            a = null;
            ainv = null;
            next = null;
            ws = null;
        }
    }

    /**
     * Woodbury: updates {@code uinv} for the step whose H (with the bias column) is {@code w.hb}, whose C is in
     * {@code w.c} and whose K is on the host; returns false when the host solve had to replace Newton-Schulz.
     */
    boolean woodbury(StepBuffers.View w, Tensor uinv) {
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

    /**
     * Through the factor: {@code uinv <- (I + hch)^-1 uinv}, with {@code hch = H^T C H} ({@code d x d}, left unchanged);
     * returns false when the host solve had to replace Newton-Schulz.
     */
    boolean throughFactor(Tensor hch, Tensor uinv) {
        b.copy(hch, a);
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
