package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/**
 * The m x m form of a factored step's small products (docs/ALGORITHM.md 5, steps 7, 9 and 12), the cheaper one when
 * m &lt;= d: the step control on {@code H H^T}; {@code M = G G^T} and the Woodbury matrix K built on the host in double
 * from {@code H H^T}, {@code P = H Q H^T} and {@code R = H Z^T} ({@link SmallMatrices}); U^-1 by Woodbury
 * ({@link InverseUpdate}); Q's update as {@code Q += H^T (eta^2 M H - eta Ghat) - eta Ghat^T H}. Four {@code m x m x d}
 * products and {@code O(m^3)} for K's inverse; its {@code m x m} buffers are in {@link StepBuffers}.
 */
final class BatchProducts implements SmallProducts {
    private final Backend b;
    private final StepBuffers buf;
    private final StepControl stepControl;
    private final InverseUpdate inverseUpdate;
    private final int classes;

    BatchProducts(Backend backend, StepBuffers buf, StepControl stepControl, NewtonSchulz newtonSchulz, int classes) {
        this.b = backend;
        this.buf = buf;
        this.stepControl = stepControl;
        this.classes = classes;
        inverseUpdate = InverseUpdate.woodburyForm(backend, newtonSchulz, buf.k);
    }

    @Override
    public boolean control(StepBuffers.View w, int m, float eta) {
        b.gemm(1f, w.hb, false, w.hb, true, 0f, w.hh);      // H H^T
        b.download(w.hh, buf.hh);
        return stepControl.apply(buf.fq, buf.fs, buf.fa, buf.hh, m, eta);
    }

    @Override
    public boolean updateInverse(StepBuffers.View w, int[] targets, int m, float eta, Tensor uinv) {
        // 7: M = G G^T from m x m quantities only; K = I + H H^T C for the Woodbury inverse of step 9
        b.gemm(1f, w.hb, false, w.qh, true, 0f, w.p);       // P = H Q H^T
        b.gemm(1f, w.hb, false, w.z, true, 0f, w.r);        // R_ij = h_i . Z_j
        b.download(w.p, buf.p);
        b.download(w.r, buf.r);
        SmallMatrices.build(buf, targets, m, eta, classes);
        b.upload(buf.gram, w.gram);
        // 9: Uinv <- Uinv - H^T C K^-1 H Uinv (Woodbury)
        return inverseUpdate.woodbury(w, uinv);
    }

    @Override
    public void updateGram(StepBuffers.View w, int[] targets, int m, float eta, Tensor q) {
        // 12: Q <- Q - eta (Ghat^T H + H^T Ghat) + eta^2 H^T M H, as Q += H^T (eta^2 M H - eta Ghat) - eta Ghat^T H
        b.gemm(eta * eta, w.gram, false, w.hb, false, 0f, w.x);
        b.axpy(-eta, w.ghat, w.x);
        b.gemm(1f, w.hb, true, w.x, false, 1f, q);
        b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);
    }

    @Override
    public void close() {
        inverseUpdate.close();
    }
}
