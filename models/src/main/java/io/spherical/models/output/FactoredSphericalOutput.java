package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Spherical-family output layer trained with the exact factored update of Vincent et al. (docs/ALGORITHM.md 4-6): the
 * {@code D x d} weights are never formed; a training step costs O(m d^2 + min(m, d)^2 max(m, d) + min(m, d)^3)
 * whatever D is: O(m d^2 + m^2 d + m^3) in the m x m form (m &lt;= d), O(m d^2 + d^3) in the d x d form (m &gt; d).
 *
 * <p>Its parts: {@link FactoredState} holds {@code W = V U + 1 omega^T}, Q and wbar; {@link StepBuffers} every
 * buffer of a step; {@link FactoredUpdate} the update (steps 5-13), with its small products in the m x m form
 * ({@link BatchProducts}) or, when the largest minibatch is wider than the layer, the d x d form
 * ({@link WidthProducts}); {@link Stabiliser} keeps U conditioned and measures drift. This class holds the forward
 * pass, the partials, the maintenance and the scores, numbered as in the algorithm document. The step is exact SGD on
 * the mean loss: after it, {@code V U + 1 omega^T} equals {@code W - eta dL/dW}. The layer performs its own SGD step;
 * it does not use an optimizer. All state is float32 on the backend, so every product runs in the backend's fastest
 * GEMM; the drift this causes is controlled by the maintenance of section 6 and measured against a float64 run by the
 * tests.
 *
 * <p>No {@code D x m} or {@code D x d} temporary is used in a step; stabilisation uses one {@code D x 1} vector and
 * unfactorisation a block of rows.
 */
public final class FactoredSphericalOutput implements OutputLayer {
    private final Backend b;
    private final FactoredConfig cfg;
    private final SphericalLoss loss;
    private final int dIn;
    private final int classes;
    private final FactoredState st;
    private final StepBuffers buf;
    private final Stabiliser stabiliser;
    private final FactoredUpdate update;
    private final double[] partials = new double[3];

    private long steps;
    private double lastDrift = Double.NaN;
    private int repairs;
    private Tensor ones;

    /** A layer whose V starts uniform in +-sqrt(6 / (D + d)) (Glorot), drawn from the config's seed. */
    public FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss) {
        this(backend, cfg, loss, DenseSphericalOutput.glorot(backend, cfg.classes(), cfg.width(), cfg.seed()), false);
    }

    /** A layer starting from the given dense weights {@code w0} ({@code D x d} row-major, bias column last). */
    public FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, float[] w0) {
        this(backend, cfg, loss, w0, false);
    }

    /**
     * As {@link #FactoredSphericalOutput(Backend, FactoredConfig, SphericalLoss, float[])}; {@code batchForm} forces
     * the m x m form of the step's small products even when the largest minibatch is wider than d (for the tests
     * that compare the two forms).
     */
    FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, float[] w0, boolean batchForm) {
        this(backend, cfg, loss, checked(backend, cfg, w0), batchForm);
    }

    private static Tensor checked(Backend backend, FactoredConfig cfg, float[] w0) {
        if (w0.length != (long) cfg.classes() * cfg.width()) {
            throw new IllegalArgumentException("w0 must hold D*d = " + (long) cfg.classes() * cfg.width()
                    + " values, has " + w0.length);
        }
        return backend.fromHost(w0, cfg.classes(), cfg.width());
    }

    /** Takes ownership of {@code w0} ({@code D x d} on this backend) as the initial V. */
    private FactoredSphericalOutput(Backend backend, FactoredConfig cfg, SphericalLoss loss, Tensor w0,
                                    boolean batchForm) {
        this.b = backend;
        this.cfg = cfg;
        this.loss = loss;
        this.dIn = cfg.inputDim();
        this.classes = cfg.classes();
        int d = cfg.width();
        boolean widthForm = FactoredUpdate.widthForm(cfg.maxBatch(), d, batchForm);
        st = new FactoredState(b, w0);
        buf = new StepBuffers(b, cfg.maxBatch(), dIn, d, cfg.biasInput(), !widthForm);
        NewtonSchulz newtonSchulz = new NewtonSchulz(b, Math.max(cfg.maxBatch(), d));
        stabiliser = new Stabiliser(b, st, newtonSchulz, cfg.seed());
        update = new FactoredUpdate(b, st, buf, newtonSchulz, cfg, widthForm);
    }

    @Override
    public OutputShape shape() {
        return new OutputShape(dIn, classes, cfg.maxBatch());
    }

    @Override
    public boolean normalised() {
        return loss.normalised();
    }

    /** The loss this layer trains. */
    public SphericalLoss loss() {
        return loss;
    }

    /**
     * Whether the step forms its small products d x d ({@link WidthProducts}: the largest minibatch is wider than d,
     * O(m d^2 + d^3) per step and no m x m matrix) rather than m x m ({@link BatchProducts}).
     */
    public boolean widthForm() {
        return update.widthForm();
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
        return st.arrays();
    }

    // ---- forward (steps 1-4) ----------------------------------------------------------------------------------

    /** Fills w.hb and computes U h, Q h, q, s, a and omega . h on the device, and q, s, a, omega . h on the host. */
    private void forward(StepBuffers.View w, Tensor h, int[] targets) {
        buf.input().load(h, w.hb);
        b.gemm(1f, w.hb, false, st.u, true, 0f, w.hu);        // rows (U h_i)^T
        b.gemm(1f, w.hb, false, st.q, true, 0f, w.qh);        // rows (Q h_i)^T
        b.rowDot(w.hb, w.qh, w.q);                             // q_i = h_i . Q h_i
        b.gemm(1f, w.hb, false, st.wbarColumn, false, 0f, w.s);      // s_i = wbar . h_i
        b.gemm(1f, w.hb, false, st.omegaColumn, false, 0f, w.omegaH);
        b.gatherRows(st.v, targets, w.vc);                     // V_C
        b.rowDot(w.vc, w.hu, w.a);
        b.axpy(1f, w.omegaH, w.a);                             // a_i = V_C[i] . U h_i + omega . h_i
        b.download(w.q, buf.q);
        b.download(w.s, buf.s);
        b.download(w.a, buf.a);
        b.download(w.omegaH, buf.omegaH);
    }

    /** Whether q_i >= s_i^2 / D (Cauchy-Schwarz) holds for every example, up to float32 rounding. */
    private boolean consistent(int m) {
        for (int i = 0; i < m; i++) {
            double q = buf.q[i];
            double s = buf.s[i];
            if (!(q >= 0) || q * classes < s * s * (1 - 1e-3) - 1e-30) {
                return false;
            }
        }
        return true;
    }

    /** Loss and partials of the MEAN loss on the host (step 4); returns the mean loss. */
    private double partials(int m) {
        double total = 0;
        double inv = 1.0 / m;
        for (int i = 0; i < m; i++) {
            double l = loss.evaluate(buf.q[i], buf.s[i], buf.a[i], classes, partials);
            if (!Double.isFinite(l) || !Double.isFinite(partials[0]) || !Double.isFinite(partials[1])
                    || !Double.isFinite(partials[2])) {
                throw new DivergenceException("the loss of example " + i + " is not finite (q=" + buf.q[i] + ", s="
                        + buf.s[i] + ", a=" + buf.a[i] + ")");
            }
            total += l;
            buf.fq[i] = partials[0] * inv;
            buf.fs[i] = partials[1] * inv;
            buf.fa[i] = partials[2] * inv;
        }
        return total * inv;
    }

    /** The three numbers the spherical family sees, per example: q, s and a (docs/ALGORITHM.md 1), without forming O. */
    public void sphericalStats(Tensor h, int[] targets, double[] qOut, double[] sOut, double[] aOut) {
        forward(buf.view(h.rows()), h, targets);
        for (int i = 0; i < h.rows(); i++) {
            qOut[i] = buf.q[i];
            sOut[i] = buf.s[i];
            aOut[i] = buf.a[i];
        }
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        forward(buf.view(h.rows()), h, targets);
        for (int i = 0; i < h.rows(); i++) {
            out[i] = loss.evaluate(buf.q[i], buf.s[i], buf.a[i], classes, partials);
        }
    }

    // ---- the step (steps 5-13 in FactoredUpdate) -------------------------------------------------------------

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int m = h.rows();
        StepBuffers.View w = buf.view(m);
        forward(w, h, targets);
        if (!consistent(m)) {
            // the kept Q has drifted so far that q_i < s_i^2 / D (impossible for a real W): recompute it exactly
            repairs++;
            st.unfactorise();
            forward(w, h, targets);
            if (!consistent(m)) {
                throw new DivergenceException("the factored state is inconsistent even after an exact recomputation "
                        + "(q < s^2 / D)");
            }
        }
        double mean = partials(m);
        update.apply(w, targets, eta, gradOut);
        steps++;
        maintain();
        return mean;
    }

    // ---- maintenance (docs/ALGORITHM.md 6) --------------------------------------------------------------------

    private void maintain() {
        if (cfg.unfactorPeriod() > 0 && steps % cfg.unfactorPeriod() == 0) {
            st.unfactorise();
        } else if (cfg.stabilisePeriod() > 0 && steps % cfg.stabilisePeriod() == 0) {
            stabiliser.stabilise(steps);
        }
        if (cfg.driftCheckPeriod() > 0 && steps % cfg.driftCheckPeriod() == 0) {
            lastDrift = stabiliser.measureDrift(steps);
        }
    }

    /** Pulls U's extreme singular values back into [0.5, 2] without changing W (see {@link Stabiliser}). */
    public void stabilise() {
        stabiliser.stabilise(steps);
    }

    /** Folds U and omega into V and recomputes Q and wbar exactly (see {@link FactoredState#unfactorise()}). */
    public void unfactorise() {
        st.unfactorise();
    }

    /** The drift of the kept Q and wbar from W on a random direction now (see {@link Stabiliser}). */
    public double measureDrift() {
        return stabiliser.measureDrift(steps);
    }

    /** Relative drift of Q and wbar against W on a random direction at the last check (NaN before the first). */
    public double lastDrift() {
        return lastDrift;
    }

    /** Rank-one singular-value corrections applied so far. */
    public int corrections() {
        return stabiliser.counters().corrections();
    }

    /** Scalar rescales of U and V applied so far. */
    public int rescales() {
        return stabiliser.counters().rescales();
    }

    /** Exact recomputations forced by an inconsistent state (q &lt; s^2 / D); 0 in a healthy run. */
    public int repairs() {
        return repairs;
    }

    /** Direct solves taken because Newton-Schulz did not converge (large steps: 98 in the Brown default run at lr 16). */
    public int hostSolves() {
        return update.hostSolves() + stabiliser.counters().hostSolves();
    }

    /** Steps whose size the step control reduced so far (see {@link StepControl}); rare (1 in the Brown default run). */
    public long controlledSteps() {
        return update.controlled();
    }

    @Override
    public Map<String, Long> diagnostics() {
        Map<String, Long> m = new LinkedHashMap<>();
        m.put("controlledSteps", controlledSteps());
        m.put("repairs", (long) repairs);
        m.put("hostSolves", (long) hostSolves());
        m.put("corrections", (long) corrections());
        m.put("rescales", (long) rescales());
        return m;
    }

    // ---- scoring (docs/ALGORITHM.md 7) ------------------------------------------------------------------------

    @Override
    public void scores(Tensor h, Tensor out) {
        StepBuffers.View w = unbiased(h, out);
        if (ones == null) {
            ones = b.zeros(1, classes);
            b.fill(ones, 1f);
        }
        b.gemm(1f, w.omegaH, false, ones, false, 1f, out);     // + (omega . h_i) for every class
    }

    /** The scores without omega . h, which is constant along a row (the ranking's) and goes to {@code rowOffsets}. */
    @Override
    public void rankingScores(Tensor h, Tensor out, double[] rowOffsets) {
        StepBuffers.View w = unbiased(h, out);
        b.download(w.omegaH, buf.omegaH);
        for (int i = 0; i < h.rows(); i++) {
            rowOffsets[i] = buf.omegaH[i];
        }
    }

    /** out = (U h_i)^T V^T for every row, and omega . h_i in the view's omegaH; returns the view. */
    private StepBuffers.View unbiased(Tensor h, Tensor out) {
        int m = h.rows();
        StepBuffers.View w = buf.view(m);
        if (out.rows() != m || out.cols() != classes) {
            throw new IllegalArgumentException("scores must be " + m + "x" + classes + ", is " + out.shape());
        }
        buf.input().load(h, w.hb);
        b.gemm(1f, w.hb, false, st.u, true, 0f, w.hu);
        b.gemm(1f, w.hu, false, st.v, true, 0f, out);
        b.gemm(1f, w.hb, false, st.omegaColumn, false, 0f, w.omegaH);
        return w;
    }

    // ---- inspection (tests, checkpoints) ----------------------------------------------------------------------

    /** W = V U + 1 omega^T on the host ({@code D x d}, row-major). O(D d^2); for tests and checkpoints. */
    public float[] weights() {
        return st.weights();
    }

    /** The kept Q = W^T W on the host. */
    public float[] gram() {
        return b.toHost(st.q);
    }

    /** The kept wbar = W^T 1 on the host. */
    public float[] columnSums() {
        return b.toHost(st.wbar);
    }

    /** ||U Uinv - I||_F: how far the kept inverse has drifted (for tests and monitoring). */
    public double inverseError() {
        return st.inverseError();
    }

    @Override
    public void close() {
        update.close();
        buf.close();
        st.close();
        if (ones != null) {
            ones.close();
        }
    }
}
