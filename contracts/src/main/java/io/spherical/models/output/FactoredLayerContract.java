package io.spherical.models.output;

import static io.spherical.models.output.FactoredChecks.relErr;
import static io.spherical.models.output.FactoredChecks.targets;
import static io.spherical.models.output.FactoredChecks.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The factored layer (float32, on a backend) against the float64 dense reference (docs/ALGORITHM.md 9).
 * A backend runs it by extending it (it inherits the maintenance and safety tests of
 * {@link FactoredMaintenanceContract}). Tolerances (relative Frobenius): forward q, s, a 2e-5; what the steps change
 * ({@code W_T - W_0}, {@code Q_T - Q_0}, {@code wbar_T - wbar_0}) and dL/dH at every step 1e-4, with step sizes that
 * move W by at least 5% in 50 steps (20% in one step); measured errors are printed. Minibatches wider than the layer
 * (m &gt; d) take the step's d x d form ({@link WidthProducts}), the others its m x m form ({@link BatchProducts});
 * both are checked against the reference, and against each other ({@link #FORMS_TOL}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FactoredLayerContract extends FactoredMaintenanceContract {
    /**
     * Relative agreement of the d x d and the m x m forms on the same steps (changes of W, Q, wbar; dL/dH against
     * its largest norm in the run; the loss): float32 rounding over ten steps, five times below {@link #CHANGE_TOL}.
     */
    static final double FORMS_TOL = 2e-5;

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
            c.add(new Object[] {l, 1000, 7, 24});           // m = 24 > d = 8: the d x d form (WidthProducts)
            c.add(new Object[] {l, 1000, 15, 64});          // m = 64 > d = 16: the d x d form, 21 repeated targets
        }
        return c;
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
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0);
        assertEquals(m > cfg.width(), widthForm(cfg, loss), "m > d takes the d x d form, m <= d the m x m form");
        SideBySide.Result res = SideBySide.run(backend, loss, classes, dIn, m, 50, eta(loss), scale(classes), cfg);
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

    /** Whether a layer of this configuration forms its step's small products d x d. */
    private boolean widthForm(FactoredConfig cfg, SphericalLoss loss) {
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(backend, cfg, loss,
                new float[cfg.classes() * cfg.width()])) {
            return f.widthForm();
        }
    }

    /** {@link #followsTheReference(String, SphericalLoss, int, int, int, float, int)} at d = 32, m = 16. */
    private SideBySide.Result followsTheReference(String label, SphericalLoss loss, int steps, float eta, int stabilise) {
        return followsTheReference(label, loss, 31, 16, steps, eta, stabilise);
    }

    /**
     * A run at D = 1000, W_0 in +-0.05, stabilised every {@code stabilise} steps, that must follow the float64
     * reference (change errors below {@link #CHANGE_TOL}) without a host solve or a repair.
     */
    private SideBySide.Result followsTheReference(String label, SphericalLoss loss, int dIn, int m, int steps, float eta,
                                                  int stabilise) {
        SideBySide.Result res = SideBySide.run(backend, loss, 1000, dIn, m, steps, eta, 0.05,
                FactoredConfig.of(1000, dIn, m).withPeriods(stabilise, 0, 0));
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
    void stepControlInTheDxdFormScalesAnOversizedStepExactlyAsTheReference() {
        // m = 64 > d = 16: lambda comes from the d x d H^T diag(2 eta |fq|) H; with fq = 1/m and eta 0.5 that is
        // H^T H / m, whose quadratic form on the bias axis is exactly 1 (bias input 1), so lambda >= 1 > 0.5 always
        SideBySide.Result res = followsTheReference("step control, d x d form", new SquaredErrorLoss(), 15, 64, 20, 0.5f,
                1);
        assertEquals(20, res.controlled(), "every step exceeds the bound");
    }

    static List<Object[]> formCases() {
        List<Object[]> c = new ArrayList<>();
        for (SphericalLoss l : allLosses()) {
            c.add(new Object[] {l, eta(l), false});
        }
        c.add(new Object[] {new SquaredErrorLoss(), 0.5f, true});   // every step controlled, stabilised every step
        return c;
    }

    @ParameterizedTest(name = "{0} eta={1} controlled={2}")
    @MethodSource("formCases")
    void theDxdFormTakesTheSameStepsAsTheForcedMxmForm(SphericalLoss loss, float eta, boolean controlled) {
        int classes = 1000;
        int dIn = 15;
        int m = 64;
        int steps = 10;
        FactoredConfig cfg = FactoredConfig.of(classes, dIn, m).withPeriods(controlled ? 1 : 0, 0, 0);
        int d = cfg.width();
        Random r = new Random(64);
        float[] w0 = weights(r, classes, d, 0.05);
        try (FactoredSphericalOutput wide = new FactoredSphericalOutput(backend, cfg, loss, w0, false);
             FactoredSphericalOutput square = new FactoredSphericalOutput(backend, cfg, loss, w0, true);
             Tensor ht = backend.zeros(m, dIn); Tensor gWide = backend.zeros(m, dIn);
             Tensor gSquare = backend.zeros(m, dIn)) {
            assertTrue(wide.widthForm() && !square.widthForm(), "m = 64 > d = 16: the d x d form unless forced");
            Dense64 wStart = Dense64.of(w0, classes, d);
            Dense64 qStart = Dense64.of(square.gram(), d, d);
            Dense64 sStart = Dense64.of(square.columnSums(), 1, d);
            double grad = 0;
            double gradScale = 0;
            double lossErr = 0;
            for (int s = 0; s < steps; s++) {
                backend.upload(Dense64.randomFloats(r, m * dIn, 1.0), ht);
                int[] t = targets(r, m, classes);
                double lw = wide.step(ht, t, eta, gWide);
                double ls = square.step(ht, t, eta, gSquare);
                lossErr = Math.max(lossErr, Math.abs(lw - ls) / Math.max(Math.abs(ls), 1e-12));
                Dense64 gs = Dense64.of(backend.toHost(gSquare), m, dIn);
                gradScale = Math.max(gradScale, gs.norm());
                grad = Math.max(grad, Dense64.of(backend.toHost(gWide), m, dIn).plus(-1, gs).norm() / gradScale);
            }
            Dense64 dwSquare = Dense64.of(square.weights(), classes, d).plus(-1, wStart);
            double dw = Dense64.of(wide.weights(), classes, d).plus(-1, wStart).relativeError(dwSquare);
            double dq = Dense64.of(wide.gram(), d, d).plus(-1, qStart)
                    .relativeError(Dense64.of(square.gram(), d, d).plus(-1, qStart));
            Dense64 dsSquare = Dense64.of(square.columnSums(), 1, d).plus(-1, sStart);
            double dwbar = Dense64.of(wide.columnSums(), 1, d).plus(-1, sStart).plus(-1, dsSquare).norm()
                    / Math.max(dsSquare.norm(), dwSquare.norm());
            double moved = dwSquare.norm() / wStart.norm();
            System.out.printf("forms %s eta %s: moved W %.3f | d x d against m x m: W %.2e Q %.2e wbar %.2e dL/dH %.2e"
                    + " loss %.2e, controlled %d%n", loss, eta, moved, dw, dq, dwbar, grad, lossErr,
                    wide.controlledSteps());
            assertTrue(moved > 1e-3, "the steps must move W, moved " + moved);
            assertEquals(controlled ? steps : 0, wide.controlledSteps(), "steps the control scaled (d x d form)");
            assertEquals(square.controlledSteps(), wide.controlledSteps(), "the control acts on the same steps");
            assertTrue(dw < FORMS_TOL && dq < FORMS_TOL && dwbar < FORMS_TOL, "changes differ: W " + dw + ", Q " + dq
                    + ", wbar " + dwbar);
            assertTrue(grad < FORMS_TOL && lossErr < FORMS_TOL, "dL/dH differs by " + grad + ", the loss by " + lossErr);
            assertEquals(0, wide.hostSolves() + square.hostSolves() + wide.repairs() + square.repairs(),
                    "no fallback and no repair");
        }
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
}
