package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * Spherical-family output layer trained with the exact factored update of Vincent et al. (docs/ALGORITHM.md 4-6): the
 * {@code D x d} weights are never formed; a training step costs O(m d^2 + m^2 d + m^3) whatever D is.
 *
 * <p>State, all float32 on the backend: {@code W = V U + 1 omega^T} with V ({@code D x d}), U and {@code Uinv = U^-1}
 * ({@code d x d}, Uinv is the plain inverse, not its transpose), omega ({@code 1 x d}), {@code Q = W^T W} and
 * {@code wbar = W^T 1}. The step is exact SGD on the mean loss: after it, {@code V U + 1 omega^T} equals
 * {@code W - eta dL/dW}. This layer performs its own SGD step; it does not use an optimizer.
 *
 * <p>Why float32 for the {@code d x d} state: every product of the step then runs in the backend's fastest GEMM,
 * and the drift this causes is controlled by the periodic exact refresh of U^-1 (with singular-value control) and
 * by unfactorisation, which recomputes Q and wbar exactly; the drift test (docs/ALGORITHM.md 6 and 9) measures the outcome against
 * a float64 dense run. Batch-major layout: row i of every {@code m x d} buffer is example i, so the papers'
 * {@code H} (d x m) is our {@code Hb^T}.
 *
 * <p>No {@code D x m} or {@code D x d} temporary is used in a step; stabilisation uses one {@code D x 1} vector and
 * unfactorisation a block of rows.
 */
public final class FactoredSphericalOutput implements OutputLayer {
    private static final int POWER_ITERATIONS = 30;
    private static final double SIGMA_LOW = 0.5;
    private static final double SIGMA_HIGH = 2.0;
    private static final int UNFACTOR_BLOCK = 8192;

    private final Backend b;
    private final FactoredConfig cfg;
    private final SphericalLoss loss;
    private final int dIn;
    private final int d;
    private final int classes;
    private final int mMax;

    private final Tensor v;
    private final Tensor u;
    private final Tensor uinv;
    private final Tensor omega;
    private final Tensor q;
    private final Tensor wbar;

    // per-minibatch buffers at full size; views per m are cached in Work
    private final BiasedInput input;
    private final Tensor[] md = new Tensor[8];
    private final Tensor[] mv = new Tensor[11];
    private final Tensor[] mm = new Tensor[8];
    private final Map<Integer, Work> works = new HashMap<>();

    // host scratch
    private final float[] hq;
    private final float[] hs;
    private final float[] ha;
    private final float[] hho;
    private final float[] hP;
    private final float[] hR;
    private final float[] hHH;
    private final float[] hM;
    private final float[] hK;
    private final double[] fq;
    private final double[] fs;
    private final double[] fa;
    private final float[] upload;
    private final StepControl stepControl;
    private final double[] partials = new double[3];
    private final NewtonSchulz newtonSchulz;

    private long steps;
    private double lastDrift = Double.NaN;
    private int corrections;
    private int rescales;
    private int hostSolves;
    private int repairs;
    private long controlled;
    private Tensor ones;

    /** Views of the buffers for one minibatch size. */
    private final class Work {
        final Tensor hb;
        final Tensor hut;
        final Tensor qht;
        final Tensor vc;
        final Tensor wc;
        final Tensor z;
        final Tensor ghat;
        final Tensor y;
        final Tensor x;
        final Tensor q;
        final Tensor s;
        final Tensor a;
        final Tensor ho;
        final Tensor fq;
        final Tensor fq2;
        final Tensor fs;
        final Tensor fa;
        final Tensor c;
        final Tensor p;
        final Tensor r;
        final Tensor hh;
        final Tensor mgram;
        final Tensor k;
        final Tensor kinv;
        final Tensor e;
        final Tensor t;
        final Tensor ones;
        final Tensor norms;
        final int[] diag;
        final NewtonSchulz.Workspace inverse;

        Work(int m) {
            hb = input.rows(m);
            hut = md[0].rowRange(0, m);
            qht = md[1].rowRange(0, m);
            vc = md[2].rowRange(0, m);
            wc = md[3].rowRange(0, m);
            z = md[4].rowRange(0, m);
            ghat = md[5].rowRange(0, m);
            y = md[6].rowRange(0, m);
            x = md[7].rowRange(0, m);
            q = mv[0].rowRange(0, m);
            s = mv[1].rowRange(0, m);
            a = mv[2].rowRange(0, m);
            ho = mv[3].rowRange(0, m);
            fq = mv[4].rowRange(0, m);
            fq2 = mv[5].rowRange(0, m);
            fs = mv[6].rowRange(0, m);
            fa = mv[7].rowRange(0, m);
            c = mv[8].rowRange(0, m);
            p = square(mm[0], m);
            r = square(mm[1], m);
            hh = square(mm[2], m);
            mgram = square(mm[3], m);
            k = square(mm[4], m);
            kinv = square(mm[5], m);
            e = square(mm[6], m);
            t = square(mm[7], m);
            ones = mv[9].rowRange(0, m);
            norms = mv[10].rowRange(0, m);
            diag = java.util.stream.IntStream.range(0, m).toArray();
            inverse = new NewtonSchulz.Workspace(e, t, ones, norms, diag);
        }
    }

    private static Tensor square(Tensor flat, int m) {
        return flat.rowRange(0, m * m).reshape(m, m);
    }

    /** A layer whose V starts uniform in +-sqrt(6 / (D + d)) (Glorot), drawn from the config's seed. */
    public FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss) {
        this(backend, cfg, loss, DenseSphericalOutput.glorot(backend, cfg.classes(), cfg.width(), cfg.seed()));
    }

    /** A layer starting from the given dense weights {@code w0} ({@code D x d} row-major, bias column last). */
    public FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, float[] w0) {
        this(backend, cfg, loss, checked(backend, cfg, w0));
    }

    private static Tensor checked(Backend backend, FactoredConfig cfg, float[] w0) {
        if (w0.length != (long) cfg.classes() * cfg.width()) {
            throw new IllegalArgumentException("w0 must hold D*d = " + (long) cfg.classes() * cfg.width()
                    + " values, has " + w0.length);
        }
        return backend.fromHost(w0, cfg.classes(), cfg.width());
    }

    /** Takes ownership of {@code w0} ({@code D x d} on this backend) as the initial V. */
    private FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, Tensor w0) {
        this.b = backend;
        this.cfg = cfg;
        this.loss = loss;
        this.dIn = cfg.inputDim();
        this.d = cfg.width();
        this.classes = cfg.classes();
        this.mMax = cfg.maxBatch();
        v = w0;
        u = b.zeros(d, d);
        uinv = b.zeros(d, d);
        omega = b.zeros(1, d);
        q = b.zeros(d, d);
        wbar = b.zeros(1, d);
        identity(u);
        identity(uinv);
        recomputeGram();

        input = new BiasedInput(b, mMax, dIn, cfg.biasInput());
        for (int i = 0; i < md.length; i++) {
            md[i] = b.zeros(mMax, d);
        }
        for (int i = 0; i < mv.length; i++) {
            mv[i] = b.zeros(mMax, 1);
        }
        for (int i = 0; i < mm.length; i++) {
            mm[i] = b.zeros(mMax * mMax, 1);
        }
        hq = new float[mMax];
        hs = new float[mMax];
        ha = new float[mMax];
        hho = new float[mMax];
        hP = new float[mMax * mMax];
        hR = new float[mMax * mMax];
        hHH = new float[mMax * mMax];
        hM = new float[mMax * mMax];
        hK = new float[mMax * mMax];
        fq = new double[mMax];
        fs = new double[mMax];
        fa = new double[mMax];
        upload = new float[Math.max(mMax, d)];
        stepControl = new StepControl(mMax, cfg.stepBound());
        newtonSchulz = new NewtonSchulz(b, Math.max(mMax, d));
    }

    private void identity(Tensor t) {
        float[] eye = new float[t.rows() * t.cols()];
        for (int i = 0; i < Math.min(t.rows(), t.cols()); i++) {
            eye[i * t.cols() + i] = 1f;
        }
        b.upload(eye, t);
    }

    /** Q = V^T V and wbar = V^T 1, exact; valid when U = I and omega = 0 (at start and after unfactorising). */
    private void recomputeGram() {
        b.gemm(1f, v, true, v, false, 0f, q);
        b.reduceColumns(Reduction.SUM, v, wbar);
    }

    private Work work(int m) {
        if (m < 1 || m > mMax) {
            throw new IllegalArgumentException("minibatch of " + m + " rows; this layer holds 1.." + mMax);
        }
        return works.computeIfAbsent(m, Work::new);
    }

    @Override
    public int inputDim() {
        return dIn;
    }

    @Override
    public int classes() {
        return classes;
    }

    @Override
    public int maxBatch() {
        return mMax;
    }

    @Override
    public boolean normalised() {
        return loss.normalised();
    }

    /** The loss this layer trains. */
    public SphericalLoss loss() {
        return loss;
    }

    /** Steps taken. */
    public long steps() {
        return steps;
    }

    @Override
    public long counter() {
        return steps;
    }

    @Override
    public void restoreCounter(long s) {
        steps = s;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("V", v);
        m.put("U", u);
        m.put("Uinv", uinv);
        m.put("omega", omega);
        m.put("Q", q);
        m.put("wbar", wbar);
        return m;
    }

    /** Relative drift of Q and wbar against W on a random direction at the last check (NaN before the first). */
    public double lastDrift() {
        return lastDrift;
    }

    /** Rank-one singular-value corrections applied so far. */
    public int corrections() {
        return corrections;
    }

    /** Scalar rescales of U and V applied so far. */
    public int rescales() {
        return rescales;
    }

    // ---- forward ----------------------------------------------------------------------------------------------

    /** Fills w.hb and computes HUt, QHt, q, s, a, ho on the device and q, s, a, ho on the host. */
    private void forward(Work w, Tensor h, int[] targets, int m) {
        input.load(h, w.hb);
        b.gemm(1f, w.hb, false, u, true, 0f, w.hut);        // HUt = Hb U^T, row i = (U h_i)^T
        b.gemm(1f, w.hb, false, q, true, 0f, w.qht);        // QHt = Hb Q^T
        b.rowDot(w.hb, w.qht, w.q);                          // q_i = h_i . Q h_i
        b.gemm(1f, w.hb, false, wbar, true, 0f, w.s);       // s_i = wbar . h_i
        b.gemm(1f, w.hb, false, omega, true, 0f, w.ho);     // ho_i = omega . h_i
        b.gatherRows(v, targets, w.vc);                      // V_C
        b.rowDot(w.vc, w.hut, w.a);
        b.axpy(1f, w.ho, w.a);                               // a_i = V_C[i] . U h_i + omega . h_i
        b.download(w.q, hq);
        b.download(w.s, hs);
        b.download(w.a, ha);
        b.download(w.ho, hho);
    }

    /** Whether q_i >= s_i^2 / D (Cauchy-Schwarz) holds for every example, up to float32 rounding. */
    private boolean consistent(int m) {
        for (int i = 0; i < m; i++) {
            double q = hq[i];
            double s = hs[i];
            if (!(q >= 0) || q * classes < s * s * (1 - 1e-3) - 1e-30) {
                return false;
            }
        }
        return true;
    }

    /** Exact recomputations forced by an inconsistent state (q &lt; s^2 / D); 0 in a healthy run. */
    public int repairs() {
        return repairs;
    }

    /** Loss and partials of the MEAN loss on the host; returns the mean loss. */
    private double partials(int m) {
        double total = 0;
        double inv = 1.0 / m;
        for (int i = 0; i < m; i++) {
            double l = loss.evaluate(hq[i], hs[i], ha[i], classes, partials);
            if (!Double.isFinite(l) || !Double.isFinite(partials[0]) || !Double.isFinite(partials[1])
                    || !Double.isFinite(partials[2])) {
                throw new DivergenceException("the loss of example " + i + " is not finite (q=" + hq[i] + ", s=" + hs[i]
                        + ", a=" + ha[i] + ")");
            }
            total += l;
            fq[i] = partials[0] * inv;
            fs[i] = partials[1] * inv;
            fa[i] = partials[2] * inv;
        }
        return total * inv;
    }

    private void put(double[] src, double scale, Tensor dst, int m) {
        for (int i = 0; i < m; i++) {
            upload[i] = (float) (scale * src[i]);
        }
        b.upload(upload, dst);
    }

    /** The three numbers the spherical family sees, per example: q, s and a (docs/ALGORITHM.md 1), without forming O. */
    public void sphericalStats(Tensor h, int[] targets, double[] qOut, double[] sOut, double[] aOut) {
        int m = h.rows();
        forward(work(m), h, targets, m);
        for (int i = 0; i < m; i++) {
            qOut[i] = hq[i];
            sOut[i] = hs[i];
            aOut[i] = ha[i];
        }
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        int m = h.rows();
        Work w = work(m);
        forward(w, h, targets, m);
        for (int i = 0; i < m; i++) {
            out[i] = loss.evaluate(hq[i], hs[i], ha[i], classes, partials);
        }
    }

    // ---- training step ----------------------------------------------------------------------------------------

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int m = h.rows();
        Work w = work(m);
        forward(w, h, targets, m);
        if (!consistent(m)) {
            // the kept Q has drifted so far that q_i < s_i^2 / D (impossible for a real W): recompute it exactly
            repairs++;
            unfactorise();
            forward(w, h, targets, m);
            if (!consistent(m)) {
                throw new DivergenceException("the factored state is inconsistent even after an exact recomputation "
                        + "(q < s^2 / D)");
            }
        }
        double mean = partials(m);
        b.gemm(1f, w.hb, false, w.hb, true, 0f, w.hh);      // H^T H
        b.download(w.hh, hHH);
        controlStep(m, eta);
        put(fq, 1, w.fq, m);
        put(fq, 2, w.fq2, m);
        put(fs, 1, w.fs, m);
        put(fa, 1, w.fa, m);

        // backward: Ghat = dL/dH (batch-major) = 2 diag(fq) QHt + fs wbar + diag(fa) WC, WC = V_C U + 1 omega
        b.gemm(1f, w.vc, false, u, false, 0f, w.wc);
        b.addRowVector(1f, omega, w.wc);
        b.gemm(1f, w.fs, false, wbar, false, 0f, w.z);
        b.scaleRows(w.wc, w.fa, w.wc);
        b.axpy(1f, w.wc, w.z);                               // Z = fs wbar + diag(fa) WC
        b.scaleRows(w.qht, w.fq2, w.ghat);
        b.axpy(1f, w.z, w.ghat);
        if (gradOut != null) {
            b.copyColumns(w.ghat, 0, gradOut, 0, dIn);
        }

        // M = G^T G from m x m quantities only (docs/ALGORITHM.md 5.7); K = I_m + H^T H C for Woodbury (5.9)
        b.gemm(1f, w.hb, false, w.qht, true, 0f, w.p);      // P = H^T Q H
        b.gemm(1f, w.hb, false, w.z, true, 0f, w.r);        // R = H^T (wbar fs^T + WC^T diag(fa))
        b.download(w.p, hP);
        b.download(w.r, hR);
        buildSmallMatrices(targets, m, eta);
        b.upload(hM, w.mgram);
        b.upload(hK, w.k);
        for (int i = 0; i < m; i++) {
            upload[i] = (float) (-2.0 * eta * fq[i]);
        }
        b.upload(upload, w.c);

        // Uinv <- Uinv - H C K^-1 H^T Uinv  (uses the old Uinv); K^-1 by Newton-Schulz on GEMMs, host LU as fallback
        b.gemm(1f, w.hb, false, uinv, false, 0f, w.y);
        if (newtonSchulz.invert(w.k, w.kinv, w.inverse, false)) {
            b.gemm(1f, w.kinv, false, w.y, false, 0f, w.x);
        } else {
            hostSolves++;
            b.solve(w.k, w.y, w.x);
        }
        b.scaleRows(w.x, w.c, w.x);
        b.gemm(-1f, w.hb, true, w.x, false, 1f, uinv);
        // U <- U - 2 eta (U H) diag(fq) H^T
        b.scaleRows(w.hut, w.fq, w.hut);
        b.gemm(-2f * eta, w.hut, true, w.hb, false, 1f, u);
        // omega <- omega - eta H (2 diag(fq) H^T omega + fs)
        for (int i = 0; i < m; i++) {
            upload[i] = (float) (2.0 * fq[i] * hho[i] + fs[i]);
        }
        b.upload(upload, w.c);
        b.gemm(-eta, w.c, true, w.hb, false, 1f, omega);
        // V[c_i] -= eta fa_i (Uinv_new^T h_i)^T, repeated targets accumulate
        b.gemm(1f, w.hb, false, uinv, false, 0f, w.y);
        b.scaleRows(w.y, w.fa, w.y);
        b.scatterAddRows(-eta, w.y, targets, v);
        // Q <- Q - eta (Ghat H^T + H Ghat^T) + eta^2 H M H^T, as Q += Hb^T (eta^2 M Hb - eta Ghat) - eta Ghat^T Hb
        b.gemm(eta * eta, w.mgram, false, w.hb, false, 0f, w.x);
        b.axpy(-eta, w.ghat, w.x);
        b.gemm(1f, w.hb, true, w.x, false, 1f, q);
        b.gemm(-eta, w.ghat, true, w.hb, false, 1f, q);
        // wbar <- wbar - eta H (2 diag(fq) s + D fs + fa)
        for (int i = 0; i < m; i++) {
            upload[i] = (float) (2.0 * fq[i] * hs[i] + (double) classes * fs[i] + fa[i]);
        }
        b.upload(upload, w.c);
        b.gemm(-eta, w.c, true, w.hb, false, 1f, wbar);

        steps++;
        maintain();
        return mean;
    }

    /** Scales the partials down when the step is too large for the factored update (see {@link StepControl}). */
    private void controlStep(int m, float eta) {
        double c = stepControl.factor(fq, hHH, m, eta);
        if (c < 1) {
            for (int i = 0; i < m; i++) {
                fq[i] *= c;
                fs[i] *= c;
                fa[i] *= c;
            }
            controlled++;
        }
    }

    @Override
    public Map<String, Long> diagnostics() {
        Map<String, Long> m = new java.util.LinkedHashMap<>();
        m.put("controlledSteps", controlled);
        m.put("repairs", (long) repairs);
        m.put("hostSolves", (long) hostSolves);
        m.put("corrections", (long) corrections);
        m.put("rescales", (long) rescales);
        return m;
    }

    /** Steps whose size the step control reduced so far (see {@link StepControl}); 0 in ordinary runs. */
    public long controlledSteps() {
        return controlled;
    }

    /** Builds M = G^T G and K = I + H^T H C on the host in double. */
    private void buildSmallMatrices(int[] targets, int m, float eta) {
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double rij = hR[i * m + j];
                double rji = hR[j * m + i];
                double val = 4.0 * fq[i] * hP[i * m + j] * fq[j]
                        + (double) classes * fs[i] * fs[j]
                        + fs[i] * fa[j] + fa[i] * fs[j]
                        + 2.0 * fq[i] * rij + 2.0 * fq[j] * rji;
                if (targets[i] == targets[j]) {
                    val += fa[i] * fa[j];
                }
                hM[i * m + j] = (float) val;
                hK[i * m + j] = (float) ((i == j ? 1.0 : 0.0) + hHH[i * m + j] * (-2.0 * eta * fq[j]));
            }
        }
    }

    /** Direct solves taken because Newton-Schulz did not converge (a sign of a large step; 0 in normal runs). */
    public int hostSolves() {
        return hostSolves;
    }

    // ---- stabilisation (docs/ALGORITHM.md 6) ----------------------------------------------------------------------------

    private void maintain() {
        if (cfg.unfactorPeriod() > 0 && steps % cfg.unfactorPeriod() == 0) {
            unfactorise();
        } else if (cfg.stabilisePeriod() > 0 && steps % cfg.stabilisePeriod() == 0) {
            stabilise();
        }
        if (cfg.driftCheckPeriod() > 0 && steps % cfg.driftCheckPeriod() == 0) {
            lastDrift = measureDrift();
        }
    }

    /**
     * Keeps U well conditioned without changing W (docs/ALGORITHM.md 6): when U's extreme singular values leave [0.5, 2], first
     * a scalar rescale {@code U <- U / c}, {@code V <- V c} with c the geometric mean of the extremes (this undoes the
     * uniform shrinking that losses with fq &gt; 0, such as squared error, cause), then rank-one corrections
     * {@code U <- C U}, {@code V <- V C^-1} that pull a remaining extreme back to 1; finally U^-1 is recomputed exactly.
     * Cost O(d^3 + D d) when a correction is needed, O(d^3) otherwise.
     */
    public void stabilise() {
        try (Tensor xMax = b.zeros(d, 1); Tensor xMin = b.zeros(d, 1); Tensor y = b.zeros(d, 1);
             Tensor row = b.zeros(1, d); Tensor vu = b.zeros(classes, 1); Tensor e = b.zeros(d, d);
             Tensor t = b.zeros(d, d); Tensor ones = b.zeros(d, 1)) {
            // largest: power iteration on U U^T gives the left singular vector of sigma_max
            double sMax = power(u, false, xMax, y);
            // smallest: power iteration on Uinv^T Uinv gives U's left singular vector of sigma_min
            double sMin = 1.0 / power(uinv, true, xMin, y);
            if (sMax > SIGMA_HIGH || sMin < SIGMA_LOW) {
                double c = Math.sqrt(sMax * sMin);
                b.scale((float) (1.0 / c), u);
                b.scale((float) c, uinv);
                b.scale((float) c, v);
                sMax /= c;
                sMin /= c;
                rescales++;
            }
            if (sMax > SIGMA_HIGH) {
                correct(xMax, 1.0 / sMax, row, vu, y);
            }
            if (sMin < SIGMA_LOW) {
                correct(xMin, 1.0 / sMin, row, vu, y);
            }
            // refresh U^-1 to working precision: Newton-Schulz from the kept inverse (quadratic convergence)
            int[] diag = java.util.stream.IntStream.range(0, d).toArray();
            if (!newtonSchulz.invert(u, uinv, new NewtonSchulz.Workspace(e, t, ones, y, diag), true)) {
                hostSolves++;
                identity(e);
                b.solve(u, e, uinv);
            }
        }
    }

    /** Largest singular value of A by power iteration; leaves the unit dominant vector in x. */
    private double power(Tensor a, boolean onInverse, Tensor x, Tensor y) {
        Random rnd = random(onInverse ? 2 : 1);
        float[] hx = new float[d];
        for (int i = 0; i < d; i++) {
            hx[i] = (float) rnd.nextGaussian();
        }
        normalise(hx);
        b.upload(hx, x);
        double sigma = 0;
        for (int it = 0; it < POWER_ITERATIONS; it++) {
            if (onInverse) {
                b.gemm(1f, a, false, x, false, 0f, y);   // y = Uinv x
                b.gemm(1f, a, true, y, false, 0f, x);    // x = Uinv^T y
            } else {
                b.gemm(1f, a, true, x, false, 0f, y);    // y = U^T x
                b.gemm(1f, a, false, y, false, 0f, x);   // x = U y
            }
            b.download(x, hx);
            sigma = Math.sqrt(normalise(hx));
            b.upload(hx, x);
        }
        return sigma;
    }

    private static double normalise(float[] x) {
        double n = 0;
        for (float f : x) {
            n += (double) f * f;
        }
        n = Math.sqrt(n);
        if (n == 0) {
            x[0] = 1f;
            return 0;
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (x[i] / n);
        }
        return n;
    }

    /**
     * U &lt;- C U, V &lt;- V C^-1 and U^-1 &lt;- U^-1 C^-1 for C = I + (t-1) x x^T, x a unit vector
     * (C^-1 = I + (1/t - 1) x x^T).
     */
    private void correct(Tensor x, double t, Tensor row, Tensor vu, Tensor col) {
        b.gemm(1f, x, true, u, false, 0f, row);                       // x^T U
        b.gemm((float) (t - 1), x, false, row, false, 1f, u);
        b.gemm(1f, uinv, false, x, false, 0f, col);                   // U^-1 x
        b.gemm((float) (1.0 / t - 1), col, false, x, true, 1f, uinv);
        b.gemm(1f, v, false, x, false, 0f, vu);                       // V x (D x 1)
        b.gemm((float) (1.0 / t - 1), vu, false, x, true, 1f, v);
        corrections++;
    }

    /**
     * Folds U and omega into V ({@code V <- V U + 1 omega^T}, in blocks of rows), resets U, U^-1 to I and omega to 0,
     * and recomputes Q and wbar exactly. O(D d^2).
     */
    public void unfactorise() {
        int block = Math.min(UNFACTOR_BLOCK, classes);
        try (Tensor tmp = b.zeros(block, d)) {
            for (int r0 = 0; r0 < classes; r0 += block) {
                int r1 = Math.min(classes, r0 + block);
                Tensor vb = v.rowRange(r0, r1);
                Tensor tb = tmp.rowRange(0, r1 - r0);
                b.gemm(1f, vb, false, u, false, 0f, tb);
                b.addRowVector(1f, omega, tb);
                b.copy(tb, vb);
            }
        }
        identity(u);
        identity(uinv);
        b.fill(omega, 0f);
        recomputeGram();
    }

    /**
     * The drift of the kept Q and wbar from the true {@code W^T W} and {@code W^T 1}, measured on a random unit
     * direction x: {@code max(|x^T Q x - ||W x||^2| / ||W x||^2, |wbar.x - 1^T W x| / (sqrt(D) ||W x||))}. O(D d).
     */
    public double measureDrift() {
        Random rnd = random(3);
        float[] hx = new float[d];
        for (int i = 0; i < d; i++) {
            hx[i] = (float) rnd.nextGaussian();
        }
        normalise(hx);
        try (Tensor x = b.fromHost(hx, d, 1); Tensor ux = b.zeros(d, 1); Tensor wx = b.zeros(classes, 1);
             Tensor qx = b.zeros(d, 1); Tensor scalar = b.zeros(1, 1); Tensor sums = b.zeros(1, 1)) {
            b.gemm(1f, u, false, x, false, 0f, ux);
            b.gemm(1f, v, false, ux, false, 0f, wx);          // V U x
            b.gemm(1f, omega, false, x, false, 0f, scalar);   // omega . x
            double w0 = b.toHost(scalar)[0];
            b.reduceColumns(Reduction.SUM_SQUARES, wx, sums);
            double sq = b.toHost(sums)[0];
            b.reduceColumns(Reduction.SUM, wx, sums);
            double sum = b.toHost(sums)[0];
            double trueQ = sq + 2 * w0 * sum + (double) classes * w0 * w0;
            double trueS = sum + classes * w0;
            b.gemm(1f, q, false, x, false, 0f, qx);
            b.gemm(1f, x, true, qx, false, 0f, scalar);
            double keptQ = b.toHost(scalar)[0];
            b.gemm(1f, wbar, false, x, false, 0f, scalar);
            double keptS = b.toHost(scalar)[0];
            double dq = Math.abs(keptQ - trueQ) / Math.max(trueQ, 1e-30);
            double ds = Math.abs(keptS - trueS) / Math.max(Math.sqrt(classes * trueQ), 1e-30);
            return Math.max(dq, ds);
        }
    }

    /** Randomness derived from the seed and the step count only, so that a resumed run repeats it exactly. */
    private Random random(int purpose) {
        return new Random(cfg.seed() * 1_000_003L + steps * 31 + purpose);
    }

    // ---- scoring ----------------------------------------------------------------------------------------------

    @Override
    public void scores(Tensor h, Tensor out) {
        int m = h.rows();
        Work w = work(m);
        if (out.rows() != m || out.cols() != classes) {
            throw new IllegalArgumentException("scores must be " + m + "x" + classes + ", is " + out.shape());
        }
        input.load(h, w.hb);
        b.gemm(1f, w.hb, false, u, true, 0f, w.hut);
        b.gemm(1f, w.hut, false, v, true, 0f, out);           // (U h_i)^T V^T
        b.gemm(1f, w.hb, false, omega, true, 0f, w.ho);
        if (ones == null) {
            ones = b.zeros(1, classes);
            b.fill(ones, 1f);
        }
        b.gemm(1f, w.ho, false, ones, false, 1f, out);        // + (omega . h_i) for every class
    }

    // ---- inspection (tests, checkpoints) ----------------------------------------------------------------------

    /** W = V U + 1 omega^T on the host ({@code D x d}, row-major). O(D d^2); for tests and checkpoints. */
    public float[] weights() {
        float[] out = new float[Math.toIntExact((long) classes * d)];
        int block = Math.min(UNFACTOR_BLOCK, classes);
        float[] part = new float[block * d];
        try (Tensor tmp = b.zeros(block, d)) {
            for (int r0 = 0; r0 < classes; r0 += block) {
                int r1 = Math.min(classes, r0 + block);
                Tensor tb = tmp.rowRange(0, r1 - r0);
                b.gemm(1f, v.rowRange(r0, r1), false, u, false, 0f, tb);
                b.addRowVector(1f, omega, tb);
                b.download(tb, part);
                System.arraycopy(part, 0, out, r0 * d, (r1 - r0) * d);
            }
        }
        return out;
    }

    /** The kept Q = W^T W on the host. */
    public float[] gram() {
        return b.toHost(q);
    }

    /** The kept wbar = W^T 1 on the host. */
    public float[] columnSums() {
        return b.toHost(wbar);
    }

    /** ||U Uinv - I||_F: how far the kept inverse has drifted (for tests and monitoring). */
    public double inverseError() {
        try (Tensor prod = b.zeros(d, d)) {
            b.gemm(1f, u, false, uinv, false, 0f, prod);
            float[] p = b.toHost(prod);
            double s = 0;
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double e = p[i * d + j] - (i == j ? 1 : 0);
                    s += e * e;
                }
            }
            return Math.sqrt(s);
        }
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : new Tensor[] {v, u, uinv, omega, q, wbar, ones}) {
            if (t != null) {
                t.close();
            }
        }
        for (Tensor[] group : new Tensor[][] {md, mv, mm}) {
            for (Tensor t : group) {
                t.close();
            }
        }
    }
}
