package io.spherical.models.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.LossCheck;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import io.spherical.testkit.LossContract;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * What is particular to the built-in losses: the Z-loss's invariance, floor, spec formulas and margin; parameter
 * validation; the registry. What every loss must meet (partials against finite differences, including where the
 * Z-loss floors sigma; finiteness; the hyperparameters' round trip; normalisation) is testkit's {@code LossContract},
 * run on each built-in by the {@code *ContractTest} classes here.
 */
class LossTest {

    static double[] stats(double[] o, int target) {
        double q = 0;
        double s = 0;
        for (double x : o) {
            q += x * x;
            s += x;
        }
        return new double[] {q, s, o[target], o.length};
    }

    @Test
    void zLossIsInvariantToPositiveAffineMapsOfTheOutputs() {
        Random r = new Random(3);
        ZLoss z = new ZLoss(2.0, 1.5);
        double[] g = new double[3];
        for (int t = 0; t < 50; t++) {
            double[] o = r.doubles(20, -2, 2).toArray();
            int c = r.nextInt(20);
            double lambda = Math.exp(r.nextGaussian() * 2);
            double kappa = r.nextGaussian() * 10;
            double[] o2 = new double[o.length];
            for (int k = 0; k < o.length; k++) {
                o2[k] = lambda * o[k] + kappa;
            }
            double[] p1 = stats(o, c);
            double[] p2 = stats(o2, c);
            double l1 = z.evaluate(p1[0], p1[1], p1[2], 20, g);
            double l2 = z.evaluate(p2[0], p2[1], p2[2], 20, g);
            assertEquals(l1, l2, 1e-9 * Math.max(1, Math.abs(l1)), "lambda=" + lambda + " kappa=" + kappa);
        }
        // log-softmax would not be: a check that the test can fail on a non-invariant loss
        SquaredErrorLoss se = new SquaredErrorLoss();
        double[] o = {0.1, 0.5, -0.3};
        double[] p1 = stats(o, 1);
        double[] p2 = stats(new double[] {0.2, 1.0, -0.6}, 1);
        assertTrue(Math.abs(se.evaluate(p1[0], p1[1], p1[2], 3, g) - se.evaluate(p2[0], p2[1], p2[2], 3, g)) > 1e-3);
    }

    @Test
    void zLossNeverGivesNaNWhenAllOutputsAreEqual() {
        ZLoss z = new ZLoss(1.0, 0.0);
        double[] g = new double[3];
        for (double c : new double[] {0.0, 1e-20, 1.0, -3.0, 1e10}) {
            int dd = 1000;
            double l = z.evaluate(dd * c * c, dd * c, c, dd, g);
            assertTrue(Double.isFinite(l) && Double.isFinite(g[0]) && Double.isFinite(g[1]) && Double.isFinite(g[2]),
                    "c=" + c + ": " + l + " " + java.util.Arrays.toString(g));
            assertEquals(Math.log(2), l, 1e-12, "z = 0 gives softplus(0)");
        }
        // rounding can make q/D - mu^2 slightly negative
        double l = z.evaluate(0.3 * 0.3 * 7 * (1 - 1e-15), 0.3 * 7, 0.3, 7, g);
        assertTrue(Double.isFinite(l) && Double.isFinite(g[0]));
    }

    @Test
    void zLossPartialsMatchTheSpecFormulas() {
        ZLoss z = new ZLoss(1.7, 0.4);
        double[] g = new double[3];
        double q = 30;
        double s = 4;
        double a = 2.5;
        int dd = 10;
        z.evaluate(q, s, a, dd, g);
        double mu = s / dd;
        double sigma = Math.sqrt(q / dd - mu * mu);
        double zz = (a - mu) / sigma;
        double gz = -1 / (1 + Math.exp(-1.7 * (0.4 - zz)));
        assertEquals(gz / sigma, g[2], 1e-14);
        assertEquals(gz * (-1 + zz * mu / sigma) / (dd * sigma), g[1], 1e-14);
        assertEquals(gz * (-zz) / (2 * dd * sigma * sigma), g[0], 1e-14);
    }

    @Test
    void topDerivesTheMarginFromTheNumberOfClasses() {
        double[] g1 = new double[3];
        double[] g2 = new double[3];
        for (long classes : new long[] {5, 11, 1000, 793_471}) {
            double beta = Math.sqrt(Math.max(0, classes / 10.0 - 1));
            ZLoss derived = (ZLoss) new ZLoss().configure(Map.of("a", 2.0));
            ZLoss fixed = new ZLoss(2.0, beta);
            assertEquals(beta, derived.beta(classes), 0.0, classes + " classes");
            double q = 3.0 * classes;
            double s = 0.5 * classes;
            assertEquals(fixed.evaluate(q, s, 2.5, classes, g2), derived.evaluate(q, s, 2.5, classes, g1), 0.0);
            assertArrayEquals(g2, g1, 0.0);
        }
        assertEquals(Math.sqrt(793_471 / 100.0 - 1),
                ((ZLoss) new ZLoss().configure(Map.of("top", 100.0, "b", 3.0))).beta(793_471), 1e-12, "top wins over b");
        assertEquals(3.0, ((ZLoss) new ZLoss().configure(Map.of("b", 3.0))).beta(793_471), 0.0, "b alone is used as is");
        UserException e = assertThrows(UserException.class, () -> new ZLoss().configure(Map.of("top", -1.0)));
        assertTrue(e.getMessage().contains("top must be a finite number >= 0"), e.getMessage());
    }

    @Test
    void invalidHyperparametersAreRejectedWithAClearMessage() {
        UserException e = assertThrows(UserException.class, () -> new ZLoss().configure(Map.of("a", 0.0)));
        assertTrue(e.getMessage().contains("a (alpha) must be a finite number > 0"), e.getMessage());
        e = assertThrows(UserException.class, () -> new LogSphericalSoftmaxLoss().configure(Map.of("eps", -1.0)));
        assertTrue(e.getMessage().contains("eps must be a finite number > 0"), e.getMessage());
        e = assertThrows(UserException.class, () -> new ZLoss().configure(Map.of("gamma", 1.0)));
        assertTrue(e.getMessage().contains("has no parameter 'gamma'") && e.getMessage().contains("a, b"), e.getMessage());
    }

    @Test
    void registryFindsTheBuiltInsAndConfiguresThem() {
        LossRegistry reg = LossRegistry.discover();
        assertEquals(List.of("log-spherical-softmax", "log-taylor-softmax", "squared-error", "z-loss"),
                reg.all().stream().map(SphericalLoss::name).toList());
        SphericalLoss z = reg.create("z-loss", Map.of("b", 3.0));
        assertEquals(Map.of("a", 1.0, "b", 3.0, "top", 0.0), z.values(), "an explicit b turns top off");
        assertEquals(Map.of("a", 1.0, "b", 0.0, "top", ZLoss.DEFAULT_TOP), reg.create("z-loss", Map.of()).values());
        UserException e = assertThrows(UserException.class, () -> reg.create("hinge", Map.of()));
        assertTrue(e.getMessage().contains("Unknown loss 'hinge'") && e.getMessage().contains("z-loss")
                && e.getMessage().contains("load the plugin that provides 'hinge' (--plugins DIR or SPHERICAL_PLUGINS)"),
                e.getMessage());
    }

    @Test
    void theContractsPointsReachTheZLossFloorAndStayClearOfIt() {
        // the contract differences the floored Z-loss (all outputs equal, spreads 1e-4 and 1e-6 of the mean) and the
        // unfloored one next to it (spread 1e-2): both sides must be among its points
        int floored = 0;
        int nearButNot = 0;
        for (LossCheck.Point p : LossCheck.points(LossContract.DEFAULT_POINTS, LossContract.DEFAULT_SEED)) {
            double d = p.classes();
            double var = p.q() / d - (p.s() / d) * (p.s() / d);
            boolean below = !(var > ZLoss.REL_FLOOR * p.q() / d + ZLoss.ABS_FLOOR);
            floored += below && p.kind() != LossCheck.Kind.EXTREME ? 1 : 0;
            nearButNot += !below && p.kind() == LossCheck.Kind.NEAR_EQUAL ? 1 : 0;
        }
        assertTrue(floored >= 500, "floored points: " + floored);
        assertTrue(nearButNot >= 100, "nearly equal points above the floor: " + nearButNot);
    }

    @Test
    void impossibleHyperparametersAreRejected() {
        assertThrows(UserException.class, () -> new ZLoss(Double.POSITIVE_INFINITY, 0));
        assertThrows(UserException.class, () -> new ZLoss(Double.NaN, 0));
        assertThrows(UserException.class, () -> new ZLoss(1, Double.NaN));
        assertThrows(UserException.class, () -> new ZLoss(1, Double.NEGATIVE_INFINITY));
        assertThrows(UserException.class, () -> new LogSphericalSoftmaxLoss(0));
        assertThrows(UserException.class, () -> new LogSphericalSoftmaxLoss(Double.POSITIVE_INFINITY));
        new LogSphericalSoftmaxLoss(Double.MIN_VALUE); // the smallest positive eps is allowed
    }
}
