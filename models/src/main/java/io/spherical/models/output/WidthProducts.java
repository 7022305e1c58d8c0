package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/**
 * The d x d form of a factored step's small products (docs/ALGORITHM.md 5, "when the minibatch is wider than the
 * layer"): the same update as {@link BatchProducts} without any {@code m x m} matrix, in {@code O(m d^2 + d^3)} time
 * and {@code O(d^2)} memory, so that the step N data-parallel workers repeat on the N m gathered examples grows
 * linearly in N. With {@code X = H^T C H} ({@code C = -2 eta diag(fq)}, so step 8 multiplies U by {@code A = I + X}):
 * <ul>
 *   <li>step control: lambda is the largest eigenvalue of {@code H^T diag(2 eta |fq|) H} (d x d; the same nonzero
 *       spectrum as the m x m {@code S H H^T S}), its trace bound from the rows' squared norms {@code ||h_i||^2};</li>
 *   <li>step 9: {@code U^-1 <- A^-1 U^-1} ({@link InverseUpdate#throughFactor});</li>
 *   <li>step 12: {@code eta^2 H^T M H = X Q X - eta (X Z^T H + H^T Z X) + eta^2 (D u u^T + u v^T + v u^T + S^T S)},
 *       with {@code u = H^T fs}, {@code v = H^T fa}, Z the rows {@code fs_i wbar + fa_i W_C[i]} of step 6 and S one row
 *       {@code sum_{i: c_i = c} fa_i h_i} per distinct target c ({@code S^T S = H^T Y' Y'^T H}, the repeated-target
 *       term). The first three terms are {@code -(X K + K^T X)} with {@code K = eta Z^T H - Q X / 2}: two GEMMs and no
 *       transpose. The whole change of Q is summed in a d x d buffer and added to Q once (one rounding of Q per
 *       step, as in the m x m form).</li>
 * </ul>
 * Derivation: {@code G^T H = W (-X / eta) + 1 u^T + Y'^T H} (D x d, never formed), {@code W^T 1 = wbar},
 * {@code W^T W = Q}, {@code W^T Y'^T H = W_C^T diag(fa) H}; expanding {@code H^T M H = (G^T H)^T (G^T H)} gives the
 * terms above. Products: {@code Z^T H}, {@code H^T C H}, {@code Ghat^T H}, {@code H^T Ghat}, {@code S^T S} of size
 * {@code d x m x d}; three {@code d x d x d}; two {@code 1 x m x d}.
 */
final class WidthProducts implements SmallProducts {
    private final Backend b;
    private final StepBuffers buf;
    private final StepControl stepControl;
    private final InverseUpdate inverseUpdate;
    private final TargetGroups groups;
    private final int d;
    private final int classes;
    /** X = H^T C H (d x d). */
    private final Tensor hch;
    /** K = eta Z^T H - Q X / 2; before it, the step control's H^T diag(2 eta |fq|) H. */
    private final Tensor k;
    /** The change of Q, summed before it is added. */
    private final Tensor delta;
    /** u^T = fs^T H and v^T = fa^T H (1 x d). */
    private final Tensor u;
    private final Tensor v;
    /** ||h_i||^2 and the step control's d x d matrix, on the host. */
    private final float[] norms;
    private final float[] hostSquare;

    WidthProducts(Backend backend, StepBuffers buf, StepControl stepControl, NewtonSchulz newtonSchulz, int maxBatch,
                  int d, int classes) {
        this.b = backend;
        this.buf = buf;
        this.stepControl = stepControl;
        this.d = d;
        this.classes = classes;
        inverseUpdate = InverseUpdate.factorForm(backend, newtonSchulz, d);
        groups = new TargetGroups(maxBatch);
        hch = b.zeros(d, d);
        k = b.zeros(d, d);
        delta = b.zeros(d, d);
        u = b.zeros(1, d);
        v = b.zeros(1, d);
        norms = new float[maxBatch];
        hostSquare = new float[d * d];
    }

    @Override
    public boolean control(StepBuffers.View w, int m, float eta) {
        b.rowDot(w.hb, w.hb, w.c);                                      // ||h_i||^2, the diagonal of H H^T alone
        b.download(w.c, norms);
        if (!stepControl.beyondTrace(buf.fq, norms, m, eta)) {
            return false;
        }
        double largest = 0;                                              // > 0: the trace exceeded the bound
        for (int i = 0; i < m; i++) {
            largest = Math.max(largest, stepControl.weight(i));
        }
        for (int i = 0; i < m; i++) {
            buf.upload[i] = (float) (stepControl.weight(i) / largest);  // in [0, 1]: no float overflow at huge eta
        }
        b.upload(buf.upload, w.c);
        b.scaleRows(w.hb, w.c, w.y);
        b.gemm(1f, w.hb, true, w.y, false, 0f, k);                      // H^T diag(2 eta |fq|) H / largest
        b.download(k, hostSquare);
        return stepControl.applyWidth(buf.fq, buf.fs, buf.fa, hostSquare, largest, d, m);
    }

    @Override
    public boolean updateInverse(StepBuffers.View w, int[] targets, int m, float eta, Tensor uinv) {
        b.scaleRows(w.hb, w.c, w.y);                                    // C H
        b.gemm(1f, w.hb, true, w.y, false, 0f, hch);                    // X = H^T C H
        // 9: Uinv <- (I + X)^-1 Uinv
        return inverseUpdate.throughFactor(hch, uinv);
    }

    @Override
    public void updateGram(StepBuffers.View w, int[] targets, int m, float eta, Tensor q) {
        float eta2 = eta * eta;
        // K = eta Z^T H - Q X / 2, from the Q before the step
        b.gemm(eta, w.z, true, w.hb, false, 0f, k);
        b.gemm(-0.5f, q, false, hch, false, 1f, k);
        // X Q X - eta (X Z^T H + H^T Z X) = -(X K + K^T X)
        b.gemm(-1f, hch, false, k, false, 0f, delta);
        b.gemm(-1f, k, true, hch, false, 1f, delta);
        // - eta (Ghat^T H + H^T Ghat)
        b.gemm(-eta, w.ghat, true, w.hb, false, 1f, delta);
        b.gemm(-eta, w.hb, true, w.ghat, false, 1f, delta);
        // eta^2 (D u u^T + u v^T + v u^T)
        b.gemm(1f, w.fs, true, w.hb, false, 0f, u);
        b.gemm(1f, w.fa, true, w.hb, false, 0f, v);
        b.gemm(eta2 * classes, u, true, u, false, 1f, delta);
        b.gemm(eta2, u, true, v, false, 1f, delta);
        b.gemm(eta2, v, true, u, false, 1f, delta);
        // eta^2 S^T S: examples with the same target share its row of Y', so their rows fa_i h_i are summed first
        b.scaleRows(w.hb, w.fa, w.y);
        Tensor s = w.y;
        if (groups.number(targets, m, w.groups) < m) {
            b.fill(w.x, 0f);
            b.scatterAddRows(1f, w.y, w.groups, w.x);
            s = w.x;
        }
        b.gemm(eta2, s, true, s, false, 1f, delta);
        b.axpy(1f, delta, q);
    }

    @Override
    public void close() {
        inverseUpdate.close();
        for (Tensor t : new Tensor[] {hch, k, delta, u, v}) {
            t.close();
        }
    }
}
