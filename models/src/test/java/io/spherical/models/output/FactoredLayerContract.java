package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.models.loss.LogSphericalSoftmaxLoss;
import io.spherical.models.loss.LogTaylorSoftmaxLoss;
import io.spherical.models.loss.SquaredErrorLoss;
import io.spherical.models.loss.ZLoss;
import io.spherical.testkit.Dense64;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The factored layer (float32, on a backend) against the float64 dense reference (docs/ALGORITHM.md 9).
 * A backend runs it by extending it. Tolerances (relative Frobenius): forward q, s, a 2e-5; what the steps change
 * ({@code W_T - W_0}, {@code Q_T - Q_0}, {@code wbar_T - wbar_0}) and dL/dH at every step 1e-4, with step sizes that
 * move W by at least 5% in 50 steps (20% in one step); measured errors are printed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FactoredLayerContract {
    static final double FORWARD_TOL = 2e-5;
    static final double STATE_TOL = 1e-3;
    /** Relative error of what the steps changed (W_T - W_0, Q_T - Q_0, wbar_T - wbar_0) and of dL/dH. */
    static final double CHANGE_TOL = 1e-4;

    /** The backend under test. */
    protected abstract Backend createBackend();

    protected Backend backend;

    @BeforeAll
    void open() {
        backend = createBackend();
    }

    @AfterAll
    void close() {
        if (backend != null) { // null when the suite was skipped
            backend.close();
        }
    }

    static List<SphericalLoss> allLosses() {
        return List.of(new ZLoss(), new ZLoss(2.0, 1.0), new SquaredErrorLoss(), new LogTaylorSoftmaxLoss(),
                new LogSphericalSoftmaxLoss());
    }

    /** (D, inputDim, m) of docs/ALGORITHM.md 9: tiny, medium and large vocabularies; m above and below d. */
    static List<Object[]> cases() {
        List<Object[]> c = new ArrayList<>();
        for (SphericalLoss l : allLosses()) {
            c.add(new Object[] {l, 7, 3, 5});
            c.add(new Object[] {l, 1000, 31, 16});
            c.add(new Object[] {l, 20000, 15, 12});
            c.add(new Object[] {l, 1000, 7, 24});           // m > d: U^-1 through the d x d factor (InverseUpdate)
        }
        return c;
    }

    /** Targets with deliberate repeats inside each minibatch. */
    static int[] targets(Random r, int m, int classes) {
        int[] t = new int[m];
        for (int i = 0; i < m; i++) {
            t[i] = (i % 3 == 2) ? t[i - 1] : r.nextInt(classes);
        }
        return t;
    }

    static float[] weights(Random r, int classes, int d, double scale) {
        return Dense64.randomFloats(r, classes * d, scale);
    }

    @ParameterizedTest(name = "{0} D={1} d_in={2} m={3}")
    @MethodSource("cases")
    void forwardStatsMatchTheDenseReference(SphericalLoss loss, int classes, int dIn, int m) {
        Random r = new Random(classes * 31L + dIn);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        float[] w0 = weights(r, classes, cfg.width(), 0.5);
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss);
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0)) {
            float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
            int[] t = targets(r, m, classes);
            double[][] exp = new double[3][m];
            ref.stats(h, m, t, exp);
            double[][] got = new double[3][m];
            try (Tensor ht = backend.fromHost(h, m, dIn)) {
                f.sphericalStats(ht, t, got[0], got[1], got[2]);
            }
            for (int k = 0; k < 3; k++) {
                double err = relErr(exp[k], got[k]);
                assertTrue(err < FORWARD_TOL, "qsa".charAt(k) + " relative error " + err);
            }
        }
    }

    /** Step size per loss: large enough that 50 steps move W by at least 5% (asserted), without step control. */
    static float eta(SphericalLoss loss) {
        return loss instanceof LogTaylorSoftmaxLoss ? 0.5f : 0.05f;
    }

    /** W_0 scale: small weights make the scale-free losses take large relative steps (at D = 7, 0.5 suffices). */
    static double scale(int classes) {
        return classes <= 7 ? 0.5 : 0.05;
    }

    @ParameterizedTest(name = "{0} D={1} d_in={2} m={3}")
    @MethodSource("cases")
    void fiftyStepsChangeWQAndWbarAsTheDenseReference(SphericalLoss loss, int classes, int dIn, int m) {
        SideBySide.Result res = SideBySide.run(backend, loss, classes, dIn, m, 50, eta(loss), scale(classes),
                FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0));
        System.out.printf("equivalence %s D=%d d=%d m=%d: moved W %.3f Q %.3f | change errors W %.2e Q %.2e wbar %.2e"
                + " dL/dH max %.2e%n", loss, classes, dIn + 1, m, res.moved(), res.qMoved(), res.dw(), res.dq(),
                res.dwbar(), res.grad());
        assertTrue(res.moved() >= 0.05, "the steps must move W by at least 5% of its norm, moved " + res.moved());
        assertTrue(res.dw() < CHANGE_TOL, "W_T - W_0 relative error " + res.dw());
        assertTrue(res.dq() < CHANGE_TOL, "Q_T - Q_0 relative error " + res.dq());
        assertTrue(res.dwbar() < CHANGE_TOL, "wbar_T - wbar_0 relative error " + res.dwbar());
        assertTrue(res.grad() < CHANGE_TOL, "dL/dH relative error " + res.grad());
        assertEquals(0, res.hostSolves(), "the Woodbury inverse must come from Newton-Schulz, not the fallback");
        assertEquals(0, res.repairs(), "no exact recomputation may hide a wrong Q update");
        assertEquals(0, res.controlled(), "these steps are small enough to need no step control");
    }

    static List<SphericalLoss> oneStepLosses() {
        return allLosses();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("oneStepLosses")
    void oneLargeStepChangesWByAFifthAsTheDenseReference(SphericalLoss loss) {
        int classes = 60;
        int dIn = 9;
        int m = 6;
        float eta = loss instanceof SquaredErrorLoss ? 0.05f : loss instanceof LogTaylorSoftmaxLoss ? 1f : 0.1f;
        SideBySide.Result res = SideBySide.run(backend, loss, classes, dIn, m, 1, eta, 0.01,
                FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0));
        System.out.printf("one step %s: moved W %.3f Q %.3f | change errors W %.2e Q %.2e wbar %.2e dL/dH %.2e, "
                + "controlled %d%n", loss, res.moved(), res.qMoved(), res.dw(), res.dq(), res.dwbar(), res.grad(),
                res.controlled());
        assertTrue(res.moved() >= 0.2, "one step must move W by at least 20% of its norm, moved " + res.moved());
        assertTrue(res.worst() < CHANGE_TOL, "change errors " + res);
        assertEquals(0, res.hostSolves() + res.repairs(), "no fallback and no repair: " + res);
    }

    /**
     * A run at D = 1000, d = 32, m = 16, W_0 in +-0.05, stabilised every {@code stabilise} steps, that must follow the
     * float64 reference (change errors below {@link #CHANGE_TOL}) without a host solve or a repair.
     */
    private SideBySide.Result followsTheReference(String label, SphericalLoss loss, int steps, float eta, int stabilise) {
        SideBySide.Result res = SideBySide.run(backend, loss, 1000, 31, 16, steps, eta, 0.05,
                FactoredConfig.of(1000, 31, 16).withPeriods(stabilise, 0, 0));
        System.out.printf("%s: %s%n", label, res);
        assertTrue(res.worst() < CHANGE_TOL, label + " must follow the reference: " + res);
        assertEquals(0, res.hostSolves() + res.repairs(), label + ": " + res);
        return res;
    }

    @Test
    void stepControlScalesAnOversizedStepExactlyAsTheReference() {
        // squared error at eta 0.5: ||2 eta H diag(fq) H^T|| is about 2, so every step is scaled to the bound;
        // stabilisation every step keeps U conditioned while it shrinks by half along one direction per step
        SideBySide.Result res = followsTheReference("step control", new SquaredErrorLoss(), 20, 0.5f, 1);
        assertEquals(20, res.controlled(), "every step exceeds the bound");
    }

    @Test
    void stabilisationCorrectsAndRescalesUAndTheRunStillMatches() {
        // squared error (fq > 0) shrinks U every step: its singular values leave [0.5, 2] within a few steps
        SideBySide.Result res = followsTheReference("stabilised squared error", new SquaredErrorLoss(), 60, 0.05f, 5);
        assertTrue(res.rescales() > 0 && res.corrections() > 0, "stabilisation must have acted: " + res);
    }

    @Test
    void stabilisationActsOnAZLossRunAndTheRunStillMatches() {
        // a large margin b keeps the target's z pushed up, fq > 0 for most examples: U shrinks as with squared error
        SideBySide.Result res = followsTheReference("stabilised z-loss", new ZLoss(1.0, 30.0), 60, 2f, 5);
        assertTrue(res.rescales() + res.corrections() > 0, "stabilisation must have acted on the Z-loss run: " + res);
    }

    @Test
    void withoutStepControlAnOversizedStepFallsBackToTheHostSolveAndStaysExact() {
        // the control switched off: ||2 eta H^T diag(fq) H|| > 1 flips U along a direction and Newton-Schulz cannot
        // invert K; the host LU solve takes over and the update stays exact
        SideBySide.Result res = SideBySide.run(backend, new SquaredErrorLoss(), 1000, 31, 16, 5, 0.3f, 0.05,
                FactoredConfig.of(1000, 31, 16).withPeriods(1, 0, 0).withStepBound(Double.POSITIVE_INFINITY));
        System.out.printf("no step control: %s%n", res);
        assertTrue(res.hostSolves() > 0 && res.controlled() == 0, res.toString());
        assertTrue(res.worst() < CHANGE_TOL, "the fallback keeps the update exact: " + res);
        // the same case at the default bound: the control acts, so --step-bound inf (the paper's plain step) is what
        // made the layer follow the unscaled float64 reference above
        SideBySide.Result bounded = SideBySide.run(backend, new SquaredErrorLoss(), 1000, 31, 16, 5, 0.3f, 0.05,
                FactoredConfig.of(1000, 31, 16).withPeriods(1, 0, 0));
        assertTrue(bounded.controlled() > 0, "the default bound must act on this case: " + bounded);
    }

    @Test
    void stabilisationAndUnfactorisationLeaveTheFunctionUnchanged() {
        // stabilise every 3 steps, unfactorise every 7: the changes must follow the reference all the same
        SideBySide.Result res = SideBySide.run(backend, new ZLoss(), 500, 15, 8, 40, 0.05f, 0.05,
                FactoredConfig.of(500, 15, 8).withPeriods(3, 7, 5));
        assertTrue(res.moved() >= 0.05 && res.worst() < CHANGE_TOL, res.toString());
        assertEquals(0, res.hostSolves() + res.repairs(), res.toString());
    }

    @Test
    void stabiliseLeavesTheFunctionUnchanged() {
        int classes = 400;
        int dIn = 11;
        int m = 8;
        Random r = new Random(5);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        float[] w0 = weights(r, classes, cfg.width(), 0.05);
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, new SquaredErrorLoss(), w0);
             Tensor ht = backend.zeros(m, dIn)) {
            for (int s = 0; s < 30; s++) {
                backend.upload(Dense64.randomFloats(r, m * dIn, 1.0), ht);
                f.step(ht, targets(r, m, classes), 0.1f, null);
            }
            Dense64 before = Dense64.of(f.weights(), classes, cfg.width());
            Dense64 qBefore = Dense64.of(f.gram(), cfg.width(), cfg.width());
            f.stabilise();
            assertTrue(f.rescales() == 1 && f.corrections() >= 1, "U had left [0.5, 2]: rescales " + f.rescales()
                    + ", corrections " + f.corrections());
            double we = Dense64.of(f.weights(), classes, cfg.width()).relativeError(before);
            System.out.printf("stabilise: W changed by %.2e (relative), U U^-1 - I %.2e%n", we, f.inverseError());
            assertTrue(we < 1e-5, "stabilise() must leave W = V U + 1 omega^T unchanged, changed by " + we);
            assertTrue(f.inverseError() < 1e-4, "U^-1 refreshed: " + f.inverseError());
            assertEquals(0.0, Dense64.of(f.gram(), cfg.width(), cfg.width()).relativeError(qBefore), "Q untouched");
        }
    }

    @Test
    void scoresAreTheOutputsOfTheDenseReference() {
        int classes = 300;
        int dIn = 7;
        int m = 6;
        Random r = new Random(21);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        float[] w0 = weights(r, classes, cfg.width(), 0.05);
        SphericalLoss loss = new ZLoss();
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss);
        double[] lossOut = new double[1];
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0);
             Tensor ht = backend.zeros(m, dIn); Tensor out = backend.zeros(m, classes)) {
            for (int s = 0; s < 20; s++) {
                float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
                int[] t = targets(r, m, classes);
                backend.upload(h, ht);
                f.step(ht, t, 0.05f, null);
                ref.step(h, m, t, 0.05f, lossOut);
            }
            float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
            backend.upload(h, ht);
            f.scores(ht, out);
            Dense64 got = Dense64.of(backend.toHost(out), m, classes);
            // U != I and omega != 0 after the steps: scores must use V U + 1 omega^T, not V alone
            Dense64 vAlone = Dense64.of(backend.toHost(f.state().get("V")), classes, cfg.width());
            Dense64 naive = ref.withBias(h, m).times(vAlone.t());
            double err = got.relativeError(ref.outputs(h, m));
            System.out.printf("scores against the reference: %.2e (V alone would be %.2e)%n", err,
                    naive.relativeError(ref.outputs(h, m)));
            assertTrue(err < 1e-5, "scores relative error " + err);
            assertTrue(naive.relativeError(ref.outputs(h, m)) > 1e-3, "the test must see the difference U makes");
        }
    }

    @Test
    void aCorruptedGramMatrixIsDetectedAndRecomputedExactly() {
        int classes = 300;
        int dIn = 7;
        int m = 6;
        Random r = new Random(99);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        float[] w0 = weights(r, classes, cfg.width(), 0.5);
        SphericalLoss loss = new ZLoss();
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss);
        double[] lossOut = new double[1];
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0);
             Tensor ht = backend.zeros(m, dIn)) {
            for (int s = 0; s < 5; s++) {
                float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
                int[] t = targets(r, m, classes);
                backend.upload(h, ht);
                if (s == 3) {
                    backend.fill(f.state().get("Q"), 0f); // q_i = 0 < s_i^2 / D: impossible for a real W
                }
                f.step(ht, t, 0.05f, null);
                ref.step(h, m, t, 0.05f, lossOut);
            }
            assertTrue(f.repairs() == 1, "one exact recomputation expected, got " + f.repairs());
            double qe = Dense64.of(f.gram(), cfg.width(), cfg.width()).relativeError(ref.gram());
            double we = Dense64.of(f.weights(), classes, cfg.width()).relativeError(ref.w);
            assertTrue(qe < STATE_TOL && we < STATE_TOL, "after the repair: Q " + qe + ", W " + we);
        }
    }

    static double relErr(double[] exp, double[] got) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < exp.length; i++) {
            num += (exp[i] - got[i]) * (exp[i] - got[i]);
            den += exp[i] * exp[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    private FactoredSphericalOutput layer(int classes, int dIn, int m, FactoredConfig cfg, SphericalLoss loss, long seed) {
        return new FactoredSphericalOutput(backend, cfg, loss, weights(new Random(seed), classes, cfg.width(), 0.05));
    }

    private void steps(FactoredSphericalOutput f, Tensor ht, Random r, int n, float eta) {
        for (int s = 0; s < n; s++) {
            backend.upload(Dense64.randomFloats(r, ht.rows() * ht.cols(), 1.0), ht);
            f.step(ht, targets(r, ht.rows(), f.classes()), eta, null);
        }
    }

    private static boolean isIdentity(float[] a, int d) {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                if (a[i * d + j] != (i == j ? 1f : 0f)) {
                    return false;
                }
            }
        }
        return true;
    }

    @Test
    void maintenanceRunsOnItsPeriods() {
        int classes = 300;
        int dIn = 7;
        int m = 6;
        Random r = new Random(8);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 7, 4);
        try (FactoredSphericalOutput f = layer(classes, dIn, m, cfg, new ZLoss(), 8); Tensor ht = backend.zeros(m, dIn)) {
            steps(f, ht, r, 3, 0.5f);
            assertTrue(Double.isNaN(f.lastDrift()), "no drift check before step 4");
            steps(f, ht, r, 1, 0.5f);
            assertTrue(f.lastDrift() >= 0 && f.lastDrift() < 1e-4, "drift measured at step 4: " + f.lastDrift());
            steps(f, ht, r, 2, 0.5f);
            assertTrue(!isIdentity(backend.toHost(f.state().get("U")), cfg.width()), "U moved by step 6");
            steps(f, ht, r, 1, 0.5f);
            assertTrue(isIdentity(backend.toHost(f.state().get("U")), cfg.width())
                    && isIdentity(backend.toHost(f.state().get("Uinv")), cfg.width()), "unfactorised at step 7");
            for (float o : backend.toHost(f.state().get("omega"))) {
                assertEquals(0f, o, "omega folded into V");
            }
            assertEquals(7, f.steps());
            assertEquals(7, f.counter());
        }
        // squared error at eta 0.5 shrinks U by half along a direction every step: by step 5 it is out of [0.5, 2]
        FactoredConfig stab = FactoredConfig.of(classes, dIn, m).withPeriods(5, 0, 0);
        try (FactoredSphericalOutput f = layer(classes, dIn, m, stab, new SquaredErrorLoss(), 9);
             Tensor ht = backend.zeros(m, dIn)) {
            steps(f, ht, r, 4, 0.5f);
            assertEquals(0, f.rescales() + f.corrections(), "no stabilisation before step 5");
            steps(f, ht, r, 1, 0.5f);
            assertTrue(f.rescales() + f.corrections() > 0, "stabilised at step 5");
            assertTrue(f.inverseError() < 1e-4, "U^-1 refreshed: " + f.inverseError());
        }
    }

    @Test
    void measureDriftSeesACorruptedGramMatrixAndColumnSums() {
        int classes = 300;
        int dIn = 7;
        int m = 6;
        Random r = new Random(12);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        try (FactoredSphericalOutput f = layer(classes, dIn, m, cfg, new ZLoss(), 12); Tensor ht = backend.zeros(m, dIn)) {
            steps(f, ht, r, 10, 0.5f);
            double clean = f.measureDrift();
            assertTrue(clean < 1e-5, "an exact state has no drift: " + clean);
            backend.scale(1.01f, f.state().get("Q"));
            double q = f.measureDrift();
            assertEquals(0.01, q, 2e-4, "Q 1% too large reads as a 1% drift");
            backend.scale(1 / 1.01f, f.state().get("Q"));
            backend.addScalar(1f, f.state().get("wbar"));
            double s = f.measureDrift();
            assertTrue(s > 1e-3 && s < 1, "a corrupted wbar is seen: " + s);
        }
    }

    @Test
    void repeatedStabilisationBringsEverySingularValueIntoRange() {
        int classes = 400;
        int dIn = 11;
        int m = 8;
        Random r = new Random(5);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        try (FactoredSphericalOutput f = layer(classes, dIn, m, cfg, new SquaredErrorLoss(), 5);
             Tensor ht = backend.zeros(m, dIn)) {
            steps(f, ht, r, 30, 0.1f);
            int d = cfg.width();
            Dense64 before = Dense64.of(f.weights(), classes, d);
            double[] sv0 = extremeSingularValues(backend.toHost(f.state().get("U")), d);
            for (int i = 0; i < 2 * d; i++) {
                f.stabilise();
            }
            double[] sv = extremeSingularValues(backend.toHost(f.state().get("U")), d);
            System.out.printf("U's singular values: [%.3g, %.3g] -> [%.3g, %.3g]%n", sv0[0], sv0[1], sv[0], sv[1]);
            assertTrue(sv0[0] < 0.5 || sv0[1] > 2, "the test needs a U out of range: " + sv0[0] + " " + sv0[1]);
            assertTrue(sv[0] > 0.5 * (1 - 1e-3) && sv[1] < 2 * (1 + 1e-3), "in range: " + sv[0] + " " + sv[1]);
            assertEquals(0, f.hostSolves(), "U^-1 refreshed by Newton-Schulz");
            double we = Dense64.of(f.weights(), classes, d).relativeError(before);
            assertTrue(we < 1e-5, "W unchanged by the stabilisations: " + we);
        }
    }

    /** The smallest and largest singular values of a d x d matrix, from the eigenvalues of A^T A (Jacobi, double). */
    static double[] extremeSingularValues(float[] a, int d) {
        double[][] s = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                for (int k = 0; k < d; k++) {
                    s[i][j] += (double) a[k * d + i] * a[k * d + j];
                }
            }
        }
        for (int sweep = 0; sweep < 100; sweep++) {
            for (int p = 0; p < d; p++) {
                for (int q = p + 1; q < d; q++) {
                    if (Math.abs(s[p][q]) < 1e-300) {
                        continue;
                    }
                    double theta = (s[q][q] - s[p][p]) / (2 * s[p][q]);
                    double t = Math.signum(theta) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
                    if (theta == 0) {
                        t = 1;
                    }
                    double c = 1 / Math.sqrt(t * t + 1);
                    double sn = t * c;
                    for (int k = 0; k < d; k++) {
                        double kp = s[k][p];
                        double kq = s[k][q];
                        s[k][p] = c * kp - sn * kq;
                        s[k][q] = sn * kp + c * kq;
                    }
                    for (int k = 0; k < d; k++) {
                        double pk = s[p][k];
                        double qk = s[q][k];
                        s[p][k] = c * pk - sn * qk;
                        s[q][k] = sn * pk + c * qk;
                    }
                }
            }
        }
        double lo = Double.POSITIVE_INFINITY;
        double hi = 0;
        for (int i = 0; i < d; i++) {
            lo = Math.min(lo, s[i][i]);
            hi = Math.max(hi, s[i][i]);
        }
        return new double[] {Math.sqrt(Math.max(lo, 0)), Math.sqrt(hi)};
    }

    @Test
    void lossesShapeAndArgumentChecks() {
        int classes = 200;
        int dIn = 5;
        int m = 4;
        Random r = new Random(31);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        float[] w0 = weights(r, classes, cfg.width(), 0.05);
        SphericalLoss loss = new LogTaylorSoftmaxLoss();
        DenseReference64 ref = new DenseReference64(w0, classes, dIn, cfg.biasInput(), loss);
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss, w0);
             Tensor ht = backend.zeros(m, dIn); Tensor big = backend.zeros(m + 1, dIn);
             Tensor badScores = backend.zeros(m, classes - 1)) {
            assertEquals(dIn, f.inputDim());
            assertEquals(classes, f.classes());
            assertEquals(m, f.maxBatch());
            assertTrue(f.normalised(), "log-Taylor softmax is normalised");
            try (FactoredSphericalOutput z = layer(classes, dIn, m, cfg, new ZLoss(), 1)) {
                assertTrue(!z.normalised(), "the Z-loss is not normalised");
            }
            assertEquals(loss, f.loss());
            float[] h = Dense64.randomFloats(r, m * dIn, 1.0);
            int[] t = targets(r, m, classes);
            backend.upload(h, ht);
            double[] got = new double[m];
            f.losses(ht, t, got);
            double[][] st = new double[3][m];
            ref.stats(h, m, t, st);
            double[] partials = new double[3];
            for (int i = 0; i < m; i++) {
                double want = loss.evaluate(st[0][i], st[1][i], st[2][i], classes, partials);
                assertEquals(want, got[i], 1e-5 * Math.abs(want), "loss of example " + i);
            }
            assertEquals(0, f.steps(), "losses() takes no step");
            assertTrue(f.diagnostics().keySet().containsAll(List.of("controlledSteps", "repairs", "hostSolves",
                    "corrections", "rescales")), f.diagnostics().toString());
            assertThrows(IllegalArgumentException.class, () -> f.step(big, new int[m + 1], 0.1f, null));
            assertThrows(IllegalArgumentException.class, () -> f.scores(ht, badScores));
            try (Tensor fewerRows = backend.zeros(m - 1, classes); Tensor one = backend.zeros(1, dIn)) {
                assertThrows(IllegalArgumentException.class, () -> f.scores(ht, fewerRows));
                backend.upload(Dense64.randomFloats(r, dIn, 1.0), one);
                assertTrue(Double.isFinite(f.step(one, new int[] {3}, 0.1f, null)), "a minibatch of one example");
                assertEquals(1, f.steps());
            }
            backend.fill(f.state().get("Uinv"), 0f);
            assertEquals(Math.sqrt(cfg.width()), f.inverseError(), 1e-6, "U = I, U^-1 = 0: ||U U^-1 - I|| = sqrt(d)");
        }
        assertThrows(IllegalArgumentException.class,
                () -> new FactoredSphericalOutput(backend, cfg, loss, new float[classes * cfg.width() - 1]));
    }

    @Test
    void aNonFiniteLossOrStateStopsTheStep() {
        int classes = 100;
        int dIn = 5;
        int m = 4;
        Random r = new Random(41);
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        for (int k = 0; k < 4; k++) {
            SphericalLoss bad = nanIn(k);
            try (FactoredSphericalOutput f = layer(classes, dIn, m, cfg, bad, 41); Tensor ht = backend.zeros(m, dIn)) {
                backend.upload(Dense64.randomFloats(r, m * dIn, 1.0), ht);
                DivergenceException e = assertThrows(DivergenceException.class,
                        () -> f.step(ht, targets(r, m, classes), 0.1f, null));
                assertTrue(e.getMessage().contains("not finite"), e.getMessage());
            }
        }
        try (FactoredSphericalOutput f = layer(classes, dIn, m, cfg, new ZLoss(), 42); Tensor ht = backend.zeros(m, dIn)) {
            backend.upload(Dense64.randomFloats(r, m * dIn, 1.0), ht);
            backend.fill(f.state().get("V"), Float.NaN);
            backend.fill(f.state().get("Q"), Float.NaN);
            DivergenceException e = assertThrows(DivergenceException.class,
                    () -> f.step(ht, targets(r, m, classes), 0.1f, null));
            assertTrue(e.getMessage().contains("inconsistent even after an exact recomputation"), e.getMessage());
        }
    }

    /** A loss whose value (k = 0) or partial k - 1 is NaN. */
    private static SphericalLoss nanIn(int k) {
        return new SphericalLoss() {
            @Override
            public String name() {
                return "nan";
            }

            @Override
            public String description() {
                return "a loss that returns NaN";
            }

            @Override
            public SphericalLoss configure(java.util.Map<String, Double> values) {
                return this;
            }

            @Override
            public double evaluate(double q, double s, double a, long d, double[] partials) {
                partials[0] = k == 1 ? Double.NaN : 0;
                partials[1] = k == 2 ? Double.NaN : 0;
                partials[2] = k == 3 ? Double.NaN : 0;
                return k == 0 ? Double.NaN : 1.0;
            }
        };
    }

    @Test
    void unfactorisingInBlocksKeepsALargeLayersFunction() {
        // D = 20,000 spans three blocks of 8,192 rows in unfactorise() and weights()
        int classes = 20_000;
        FactoredConfig cfg = FactoredConfig.of(classes, 6, 8).withPeriods(0, 0, 0);
        try (FactoredSphericalOutput f = layer(classes, 6, 8, cfg, new ZLoss(), 20); Tensor ht = backend.zeros(8, 6)) {
            steps(f, ht, new Random(20), 5, 2f);
            Dense64 before = Dense64.of(f.weights(), classes, cfg.width());
            Dense64 q = Dense64.of(f.gram(), cfg.width(), cfg.width());
            f.unfactorise();
            assertTrue(isIdentity(backend.toHost(f.state().get("U")), cfg.width()), "U reset");
            Dense64 v = Dense64.of(backend.toHost(f.state().get("V")), classes, cfg.width());
            double we = v.relativeError(before);
            assertTrue(we < 1e-6, "V now holds W, every block of it: " + we);
            assertTrue(Dense64.of(f.gram(), cfg.width(), cfg.width()).relativeError(v.t().times(v)) < 1e-5, "Q exact");
            assertTrue(Dense64.of(f.gram(), cfg.width(), cfg.width()).relativeError(q) < 1e-4, "and as kept before");
        }
    }

    @Test
    void closeReleasesEveryBuffer() {
        long before = backend.allocatedBytes();
        org.junit.jupiter.api.Assumptions.assumeTrue(before >= 0, "this backend does not count its memory");
        FactoredConfig cfg = FactoredConfig.of(500, 9, 16).withPeriods(2, 3, 2);
        try (FactoredSphericalOutput f = layer(500, 9, 16, cfg, new ZLoss(), 3); Tensor ht = backend.zeros(16, 9);
             Tensor out = backend.zeros(16, 500)) {
            steps(f, ht, new Random(3), 4, 0.3f);
            f.scores(ht, out);
            assertTrue(backend.allocatedBytes() > before);
        }
        assertEquals(before, backend.allocatedBytes(), "every buffer of the layer released");
    }

    /** ||a x - I||_F in double from host copies. */
    private double residual(Tensor a, Tensor x) {
        int n = a.rows();
        Dense64 p = Dense64.of(backend.toHost(a), n, n).times(Dense64.of(backend.toHost(x), n, n));
        for (int i = 0; i < n; i++) {
            p.set(i, i, p.get(i, i) - 1);
        }
        return p.norm();
    }

    @Test
    void newtonSchulzInvertsNearIdentityMatricesAndReportsFailure() {
        int n = 20;
        Random r = new Random(77);
        float[] eye = new float[n * n];
        float[] a = Dense64.randomFloats(r, n * n, 0.3 / n);
        for (int i = 0; i < n; i++) {
            eye[i * n + i] = 1f;
            a[i * n + i] += 1f;
        }
        NewtonSchulz ns = new NewtonSchulz(backend, 1);
        try (Tensor at = backend.fromHost(a, n, n); Tensor x = backend.zeros(n, n); Tensor e = backend.zeros(n, n);
             Tensor t = backend.zeros(n, n); Tensor ones = backend.zeros(n, 1); Tensor norms = backend.zeros(n, 1)) {
            NewtonSchulz.Workspace w = new NewtonSchulz.Workspace(e, t, ones, norms,
                    java.util.stream.IntStream.range(0, n).toArray());
            assertTrue(ns.invert(at, x, w, false), "a near-identity matrix is inverted");
            double cold = residual(at, x);
            assertTrue(cold < 1e-5, "residual " + cold);
            float[] kept = backend.toHost(x);
            for (int i = 0; i < kept.length; i++) {
                kept[i] *= 1.01f;                                    // a kept inverse that has drifted by 1%
            }
            backend.upload(kept, x);
            assertTrue(ns.invert(at, x, w, true) && residual(at, x) < 1e-5, "refined from a warm start");
            for (int i = 0; i < eye.length; i++) {
                eye[i] = -eye[i];
            }
            backend.upload(eye, at);                                 // -I: the residual of 2I - a never shrinks
            assertTrue(!ns.invert(at, x, w, false), "-I is reported as out of reach");
            for (int i = 0; i < eye.length; i++) {
                eye[i] = -3f * eye[i];
            }
            backend.upload(eye, at);                                 // 3I: |1 - 3| > 1
            assertTrue(!ns.invert(at, x, w, false), "3I is reported as out of reach");
        }
    }
}
