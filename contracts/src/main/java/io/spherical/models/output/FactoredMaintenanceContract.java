package io.spherical.models.output;

import static io.spherical.models.output.FactoredChecks.extremeSingularValues;
import static io.spherical.models.output.FactoredChecks.isIdentity;
import static io.spherical.models.output.FactoredChecks.nanIn;
import static io.spherical.models.output.FactoredChecks.targets;
import static io.spherical.models.output.FactoredChecks.weights;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.models.loss.LogTaylorSoftmaxLoss;
import io.spherical.models.loss.SquaredErrorLoss;
import io.spherical.models.loss.ZLoss;
import io.spherical.testkit.Dense64;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The first half of {@link FactoredLayerContract}: the backend under test, and the factored layer's maintenance and
 * safety on it (stabilisation, unfactorisation and drift checks on their periods, Newton-Schulz, the shape and
 * argument checks, non-finite losses and states, every buffer released on close). Backends extend
 * {@link FactoredLayerContract}, which runs these too.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class FactoredMaintenanceContract {
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

    private FactoredSphericalOutput layer(int classes, int dIn, int m, FactoredConfig cfg, SphericalLoss loss, long seed) {
        return new FactoredSphericalOutput(backend, cfg, loss, weights(new Random(seed), classes, cfg.width(), 0.05));
    }

    private void steps(FactoredSphericalOutput f, Tensor ht, Random r, int n, float eta) {
        for (int s = 0; s < n; s++) {
            backend.upload(Dense64.randomFloats(r, ht.rows() * ht.cols(), 1.0), ht);
            f.step(ht, targets(r, ht.rows(), f.classes()), eta, null);
        }
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
