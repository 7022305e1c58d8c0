package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.SphericalLoss;
import io.spherical.models.loss.SquaredErrorLoss;
import io.spherical.models.loss.ZLoss;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * docs/ALGORITHM.md 6 and 9: over a long run the float32 factored layer stays within a stated tolerance of a float64 dense run
 * with stabilisation on, and is measurably worse with it off. Sized for CI (4,000 minibatches at D = 2,000, d = 16):
 * the float64 reference costs O(D d m) per step on the host.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DriftTest {
    static final int STEPS = 4000;
    static final double ON_TOL = 1e-3;

    private Backend backend;

    @BeforeAll
    void open() {
        backend = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void close() {
        backend.close();
    }

    private SideBySide.Result run(SphericalLoss loss, boolean stabilised) {
        FactoredConfig cfg = FactoredConfig.of(2000, 15, 8);
        cfg = stabilised ? cfg.withPeriods(10, 1000, 500) : cfg.withPeriods(0, 0, 500);
        try {
            return SideBySide.run(backend, loss, 2000, 15, 8, STEPS, 0.05f, 0.5, cfg);
        } catch (DivergenceException e) {
            double inf = Double.POSITIVE_INFINITY;
            return new SideBySide.Result(inf, inf, inf, inf, inf, inf, inf, Double.NaN, Double.NaN, Double.NaN, -1, -1, -1, -1, -1);
        }
    }

    private void check(SphericalLoss loss, boolean offMustBeWorse) {
        SideBySide.Result on = run(loss, true);
        SideBySide.Result off = run(loss, false);
        System.out.printf("drift %s after %d steps: stabilised W %.2e dW %.2e dQ %.2e dwbar %.2e dL/dH %.2e (of the start's"
                        + " scale; of the step's own %.2e) monitor %.2e | unstabilised W %.2e dW %.2e dQ %.2e dwbar %.2e"
                        + " dL/dH %.2e%n", loss, STEPS, on.w(), on.dw(), on.dq(), on.dwbar(), on.gradVsStart(), on.grad(),
                on.driftMetric(), off.w(), off.dw(), off.dq(), off.dwbar(), off.gradVsStart());
        // dL/dH is measured against the gradient's scale at the start of the run (SideBySide.Result.gradVsStart): a
        // converged run's gradient almost vanishes, and the rounding of its outputs divided by it depends on which
        // BLAS kernel the machine runs (9.1e-4 on one kernel, 1.3e-3 on another), not on the layer
        assertTrue(on.w() < ON_TOL && on.dw() < ON_TOL && on.dq() < ON_TOL && on.dwbar() < ON_TOL
                        && on.gradVsStart() < ON_TOL,
                "stabilised run drifted: " + on);
        assertTrue(on.repairs() == 0 && on.hostSolves() == 0, "no repair and no host solve: " + on);
        double worstOn = Math.max(Math.max(on.w(), on.dq()), on.dwbar());
        double worstOff = Math.max(Math.max(off.w(), off.dq()), off.dwbar());
        if (offMustBeWorse) {
            assertTrue(!(worstOff < 10 * worstOn), "without stabilisation the error must be at least 10x larger: on "
                + worstOn + ", off " + worstOff);
        }
    }

    @Test
    void squaredErrorShrinksUAndStabilisationHoldsIt() {
        check(new SquaredErrorLoss(), true);
    }

    @Test
    void zLossStaysCloseToTheFloat64Run() {
        // measured: at this step size the Z-loss moves U in both directions and float32 drift stays small even
        // without stabilisation, so only the tolerance of the stabilised run is asserted (both are printed)
        check(new ZLoss(), false);
    }
}
