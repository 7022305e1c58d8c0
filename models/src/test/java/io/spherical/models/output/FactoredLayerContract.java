package io.spherical.models.output;

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
 * The factored layer (float32, on a backend) against the float64 dense reference (SPEC.md 9, items 2-4).
 * A backend runs it by extending it. Tolerances (relative Frobenius): forward q, s, a 2e-5; dL/dH at every step
 * 1e-3; W, W^T W and W^T 1 after 50 steps 1e-3 (measured errors are printed; they are far smaller).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FactoredLayerContract {
    static final double FORWARD_TOL = 2e-5;
    static final double STATE_TOL = 1e-3;

    /** The backend under test. */
    protected abstract Backend createBackend();

    protected Backend backend;

    @BeforeAll
    void open() {
        backend = createBackend();
    }

    @AfterAll
    void close() {
        backend.close();
    }

    static List<SphericalLoss> allLosses() {
        return List.of(new ZLoss(), new ZLoss(2.0, 1.0), new SquaredErrorLoss(), new LogTaylorSoftmaxLoss(),
                new LogSphericalSoftmaxLoss());
    }

    /** (D, inputDim, m) of SPEC.md 9 and the issue: tiny, medium and large vocabularies. */
    static List<Object[]> cases() {
        List<Object[]> c = new ArrayList<>();
        for (SphericalLoss l : allLosses()) {
            c.add(new Object[] {l, 7, 3, 5});
            c.add(new Object[] {l, 1000, 31, 16});
            c.add(new Object[] {l, 20000, 15, 12});
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

    @ParameterizedTest(name = "{0} D={1} d_in={2} m={3}")
    @MethodSource("cases")
    void fiftyStepsAgreeWithTheDenseReference(SphericalLoss loss, int classes, int dIn, int m) {
        SideBySide.Result res = SideBySide.run(backend, loss, classes, dIn, m, 50, 0.05f, FactoredConfig.of(classes, dIn, m).withPeriods(0, 0, 0));
        System.out.printf("equivalence %s D=%d d=%d m=%d: W %.2e  Q %.2e  wbar %.2e  dL/dH max %.2e%n",
                loss, classes, dIn + 1, m, res.w(), res.q(), res.wbar(), res.grad());
        assertTrue(res.w() < STATE_TOL, "W relative error " + res.w());
        assertTrue(res.q() < STATE_TOL, "Q relative error " + res.q());
        assertTrue(res.wbar() < STATE_TOL, "wbar relative error " + res.wbar());
        assertTrue(res.grad() < STATE_TOL, "dL/dH relative error " + res.grad());
        assertTrue(res.hostSolves() == 0, "the Woodbury inverse must come from Newton-Schulz, not the fallback");
    }

    @Test
    void stabilisationAndUnfactorisationLeaveTheFunctionUnchanged() {
        SphericalLoss loss = new ZLoss();
        // stabilise every 3 steps, unfactorise every 7: W must follow the reference all the same
        SideBySide.Result res = SideBySide.run(backend, loss, 500, 15, 8, 40, 0.05f, FactoredConfig.of(500, 15, 8).withPeriods(3, 7, 5));
        assertTrue(res.w() < STATE_TOL && res.q() < STATE_TOL && res.wbar() < STATE_TOL && res.grad() < STATE_TOL,
                "errors " + res.w() + " " + res.q() + " " + res.wbar() + " " + res.grad());
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
}
