package io.spherical.models.loss;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every built-in loss: value and partials against central finite differences in double precision, over (q, s, a)
 * drawn from real output vectors (so that q >= s^2/D and q >= a^2), including near-degenerate ones.
 * Tolerance: |analytic - numeric| <= 1e-5 (|analytic| + |numeric|) + 1e-7 / scale + 20 r / h, where r is the
 * rounding error of one evaluation (eps times the sum of |f| and |x_k df/dx_k|) and h the difference step.
 */
class LossTest {

    static Stream<SphericalLoss> losses() {
        return Stream.of(new ZLoss(), new ZLoss(3.0, 2.0), new ZLoss(0.3, -1.0), new SquaredErrorLoss(),
                new LogTaylorSoftmaxLoss(), new LogSphericalSoftmaxLoss(), new LogSphericalSoftmaxLoss(0.1));
    }

    /** (q, s, a, D) from random output vectors: ordinary, shifted and scaled, near-degenerate (outputs almost equal). */
    static List<double[]> points() {
        Random r = new Random(7);
        List<double[]> pts = new ArrayList<>();
        for (int t = 0; t < 60; t++) {
            int dim = 2 + r.nextInt(40);
            double spread = switch (t % 4) {
                case 0 -> 1.0;
                case 1 -> 5.0;
                case 2 -> 1e-2; // near-degenerate: sigma ~ 1e-2 |mean|
                default -> 0.2;
            };
            double shift = t % 3 == 0 ? 0 : r.nextGaussian() * 3;
            double[] o = new double[dim];
            for (int k = 0; k < dim; k++) {
                o[k] = shift + spread * r.nextGaussian();
            }
            pts.add(stats(o, r.nextInt(dim)));
        }
        return pts;
    }

    static double[] stats(double[] o, int target) {
        double q = 0;
        double s = 0;
        for (double x : o) {
            q += x * x;
            s += x;
        }
        return new double[] {q, s, o[target], o.length};
    }

    @ParameterizedTest
    @MethodSource("losses")
    void partialsMatchCentralFiniteDifferences(SphericalLoss loss) {
        double[] g = new double[3];
        double[] scratch = new double[3];
        for (double[] p : points()) {
            long dd = (long) p[3];
            double f0 = loss.evaluate(p[0], p[1], p[2], dd, g);
            // rounding error of one evaluation: each input carries eps relative error into f
            double noise = 2.2e-16 * (Math.abs(f0) + Math.abs(g[0] * p[0]) + Math.abs(g[1] * p[1]) + Math.abs(g[2] * p[2]));
            // steps scaled to the spread of the outputs, so that near-degenerate points are not stepped across
            double var = Math.max(p[0] / dd - (p[1] / dd) * (p[1] / dd), 1e-12);
            double[] natural = {dd * var, dd * Math.sqrt(var), Math.sqrt(var)};
            for (int k = 0; k < 3; k++) {
                double scale = Math.max(1.0, Math.abs(p[k]));
                double h = 1e-6 * Math.min(scale, natural[k]);
                double[] plus = p.clone();
                double[] minus = p.clone();
                plus[k] += h;
                minus[k] -= h;
                double fd = (loss.evaluate(plus[0], plus[1], plus[2], dd, scratch)
                        - loss.evaluate(minus[0], minus[1], minus[2], dd, scratch)) / (2 * h);
                double tol = 1e-5 * (Math.abs(g[k]) + Math.abs(fd)) + 1e-7 / scale + 20 * noise / h;
                assertTrue(Math.abs(g[k] - fd) <= tol, loss + " d/d" + "qsa".charAt(k) + " at q=" + p[0] + " s=" + p[1]
                        + " a=" + p[2] + " D=" + dd + ": analytic " + g[k] + " numeric " + fd);
            }
        }
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
    void flooredZLossPartialsMatchFiniteDifferencesAsSigmaGoesToZero() {
        // outputs c + spread * noise with spread -> 0: sigma^2 = q/D - mu^2 falls below the floor 1e-6 q/D, where the
        // loss is the floored function of q alone (through sigma) and of s and a; its partials must be that function's
        ZLoss z = new ZLoss(1.5, 0.5);
        Random r = new Random(17);
        double[] g = new double[3];
        double[] scratch = new double[3];
        int floored = 0;
        for (double spread : new double[] {1e-2, 1e-3, 1e-4, 1e-5}) {
            for (int t = 0; t < 10; t++) {
                int dim = 5 + r.nextInt(30);
                double[] o = new double[dim];
                double c = 1 + r.nextDouble();
                for (int k = 0; k < dim; k++) {
                    o[k] = c + spread * r.nextGaussian();
                }
                double[] p = stats(o, r.nextInt(dim));
                double var = p[0] / dim - (p[1] / dim) * (p[1] / dim);
                boolean below = var <= ZLoss.REL_FLOOR * p[0] / dim;
                floored += below ? 1 : 0;
                double f0 = z.evaluate(p[0], p[1], p[2], dim, g);
                double sigma = Math.sqrt(Math.max(var, ZLoss.REL_FLOOR * p[0] / dim));
                double mu = Math.abs(p[1] / dim);
                // steps small against the scales on which sigma^2 changes; where floored, small enough to stay so
                double[] h = below
                        ? new double[] {1e-8 * p[0], 1e-8 * Math.abs(p[1]), 1e-4 * sigma}
                        : new double[] {1e-4 * sigma * sigma * dim, 1e-4 * sigma * dim * Math.min(1, sigma / mu),
                            1e-4 * sigma};
                // rounding of one evaluation, measured: f at inputs perturbed by a few ulps
                double r0 = 0;
                for (int e = 0; e < 8; e++) {
                    r0 = Math.max(r0, Math.abs(z.evaluate(p[0] * (1 + 4e-16 * r.nextGaussian()),
                            p[1] * (1 + 4e-16 * r.nextGaussian()), p[2] * (1 + 4e-16 * r.nextGaussian()), dim,
                            scratch) - f0));
                }
                for (int k = 0; k < 3; k++) {
                    double[] plus = p.clone();
                    double[] minus = p.clone();
                    plus[k] += h[k];
                    minus[k] -= h[k];
                    double fd = (z.evaluate(plus[0], plus[1], plus[2], dim, scratch)
                            - z.evaluate(minus[0], minus[1], minus[2], dim, scratch)) / (2 * h[k]);
                    assertTrue(Math.abs(g[k] - fd) <= 1e-4 * Math.abs(fd) + 20 * r0 / h[k], "d/d" + "qsa".charAt(k)
                            + " spread " + spread + (below ? " (floored)" : "") + ": analytic " + g[k] + ", numeric " + fd);
                }
            }
        }
        assertTrue(floored >= 10, "the floor must be reached in at least 10 of the 40 points, was " + floored);
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
        assertTrue(e.getMessage().contains("Unknown loss 'hinge'") && e.getMessage().contains("z-loss"), e.getMessage());
    }

    @Test
    void normalisedLossesAreProbabilities() {
        // exp(-f) summed over every possible target must be 1 for the normalised losses
        double[] o = {0.3, -1.2, 2.0, 0.0, 0.7};
        double[] g = new double[3];
        for (SphericalLoss l : List.of(new LogTaylorSoftmaxLoss(), new LogSphericalSoftmaxLoss())) {
            double total = 0;
            for (int c = 0; c < o.length; c++) {
                double[] p = stats(o, c);
                total += Math.exp(-l.evaluate(p[0], p[1], p[2], o.length, g));
            }
            assertEquals(1.0, total, 1e-12, l.name());
            assertTrue(l.normalised());
        }
    }

    @ParameterizedTest
    @MethodSource("losses")
    void everyLossDescribesItselfAndRebuildsFromItsOwnValues(SphericalLoss loss) {
        assertTrue(!loss.name().isBlank() && !loss.description().isBlank(), loss.toString());
        SphericalLoss again = loss.configure(loss.values());
        assertEquals(loss.values(), again.values(), "configure(values()) gives the same loss");
        double[] p1 = new double[3];
        double[] p2 = new double[3];
        assertEquals(loss.evaluate(7.0, 1.5, 0.9, 20, p1), again.evaluate(7.0, 1.5, 0.9, 20, p2), 0.0);
        assertTrue(java.util.Arrays.equals(p1, p2), loss.toString());
        assertEquals(loss.parameters().stream().map(io.spherical.api.Hyperparameter::name).sorted().toList(),
                loss.values().keySet().stream().sorted().toList(), "every declared parameter has a value");
        assertThrows(UserException.class, () -> loss.configure(Map.of("no-such-parameter", 1.0)));
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
