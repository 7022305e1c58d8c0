package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;

/**
 * Steps 5-13 of a factored step (docs/ALGORITHM.md 5), after the forward pass and the partials: dL/dH, then the exact
 * SGD update of U, U^-1, omega, V, Q and wbar. The products whose cost depends on how m compares with d (the step
 * control, U^-1, Q's second-order term) are formed by a {@link SmallProducts}: the m x m form
 * ({@link BatchProducts}) when the layer's largest minibatch is at most d, the d x d form ({@link WidthProducts})
 * when it is wider (as when N data-parallel workers step on N m gathered examples). The choice is made once, at
 * construction, so that only the chosen form's buffers exist; a smaller minibatch on a wide layer takes the d x d form,
 * which is exact at every m.
 */
final class FactoredUpdate implements AutoCloseable {
    private final Backend b;
    private final FactoredState st;
    private final StepBuffers buf;
    private final SmallProducts products;
    private final boolean widthForm;
    private final int dIn;
    private final int classes;
    private int hostSolves;
    private long controlled;

    /**
     * @param widthForm the d x d form ({@link #widthForm(int, int, boolean)}); {@code buf} must hold the m x m
     *                  matrices exactly when it is false
     */
    FactoredUpdate(Backend backend, FactoredState st, StepBuffers buf, NewtonSchulz newtonSchulz, FactoredConfig cfg,
                   boolean widthForm) {
        this.b = backend;
        this.st = st;
        this.buf = buf;
        this.widthForm = widthForm;
        this.dIn = cfg.inputDim();
        this.classes = cfg.classes();
        int d = cfg.width();
        StepControl stepControl = new StepControl(Math.max(cfg.maxBatch(), d), cfg.stepBound());
        products = widthForm
                ? new WidthProducts(backend, buf, stepControl, newtonSchulz, cfg.maxBatch(), d, classes)
                : new BatchProducts(backend, buf, stepControl, newtonSchulz, classes);
    }

    /**
     * Whether a layer whose largest minibatch is {@code maxBatch} and whose width (bias included) is {@code d} takes
     * the d x d form: when {@code maxBatch > d}, unless {@code forceBatch} asks for the m x m form (tests compare
     * the two; the m x m matrices then limit the minibatch to {@link FactoredConfig#MAX_BATCH}).
     */
    static boolean widthForm(int maxBatch, int d, boolean forceBatch) {
        if (forceBatch && maxBatch > FactoredConfig.MAX_BATCH) {
            throw new IllegalArgumentException("the m x m form holds minibatches of at most " + FactoredConfig.MAX_BATCH
                    + " examples, got " + maxBatch);
        }
        return !forceBatch && maxBatch > d;
    }

    /** Whether the small products are formed d x d. */
    boolean widthForm() {
        return widthForm;
    }

    /** Direct solves taken because Newton-Schulz did not converge on the step's inverse. */
    int hostSolves() {
        return hostSolves;
    }

    /** Steps whose size the step control reduced. */
    long controlled() {
        return controlled;
    }

    private void put(double[] src, double scale, Tensor dst, int m) {
        for (int i = 0; i < m; i++) {
            buf.upload[i] = (float) (scale * src[i]);
        }
        b.upload(buf.upload, dst);
    }

    /**
     * Steps 5-13 for the minibatch whose forward pass filled {@code w} and whose partials of the mean loss are on the
     * host ({@code fq}, {@code fs}, {@code fa} of the step buffers); writes dL/dH into {@code gradOut} when not null.
     */
    void apply(StepBuffers.View w, int[] targets, float eta, Tensor gradOut) {
        int m = w.hb.rows();
        if (products.control(w, m, eta)) {
            controlled++;
        }
        put(buf.fq, 1, w.fq, m);
        put(buf.fq, 2, w.fq2, m);
        put(buf.fs, 1, w.fs, m);
        put(buf.fa, 1, w.fa, m);

        // 5-6: dL/dH = 2 diag(fq) QH + fs wbar + diag(fa) W_C, with W_C = V_C U + 1 omega
        b.gemm(1f, w.vc, false, st.u, false, 0f, w.wc);
        b.addRowVector(1f, st.omega, w.wc);
        b.gemm(1f, w.fs, false, st.wbar, false, 0f, w.z);
        b.scaleRows(w.wc, w.fa, w.wc);
        b.axpy(1f, w.wc, w.z);                               // Z = fs wbar + diag(fa) W_C
        b.scaleRows(w.qh, w.fq2, w.ghat);
        b.axpy(1f, w.z, w.ghat);
        if (gradOut != null) {
            b.copyColumns(w.ghat, 0, gradOut, 0, dIn);
        }

        // 7 and 9: U^-1 for U <- U (I + H^T C H), C = -2 eta diag(fq) (and, in the m x m form, M = G G^T)
        for (int i = 0; i < m; i++) {
            buf.upload[i] = (float) (-2.0 * eta * buf.fq[i]);
        }
        b.upload(buf.upload, w.c);
        if (!products.updateInverse(w, targets, m, eta, st.uinv)) {
            hostSolves++;
        }
        // 8: U <- U - 2 eta (U H^T) diag(fq) H
        b.scaleRows(w.hu, w.fq, w.hu);
        b.gemm(-2f * eta, w.hu, true, w.hb, false, 1f, st.u);
        // 10: omega <- omega - eta sum_i (2 fq_i omega . h_i + fs_i) h_i
        for (int i = 0; i < m; i++) {
            buf.upload[i] = (float) (2.0 * buf.fq[i] * buf.omegaH[i] + buf.fs[i]);
        }
        b.upload(buf.upload, w.c);
        b.gemm(-eta, w.c, true, w.hb, false, 1f, st.omega);
        // 11: V[c_i] -= eta fa_i (Uinv_new^T h_i)^T, repeated targets accumulate
        b.gemm(1f, w.hb, false, st.uinv, false, 0f, w.y);
        b.scaleRows(w.y, w.fa, w.y);
        b.scatterAddRows(-eta, w.y, targets, st.v);
        // 12: Q <- Q - eta (Ghat^T H + H^T Ghat) + eta^2 H^T M H
        products.updateGram(w, targets, m, eta, st.q);
        // 13: wbar <- wbar - eta sum_i (2 fq_i s_i + D fs_i + fa_i) h_i
        for (int i = 0; i < m; i++) {
            buf.upload[i] = (float) (2.0 * buf.fq[i] * buf.s[i] + (double) classes * buf.fs[i] + buf.fa[i]);
        }
        b.upload(buf.upload, w.c);
        b.gemm(-eta, w.c, true, w.hb, false, 1f, st.wbar);
    }

    @Override
    public void close() {
        products.close();
    }
}
