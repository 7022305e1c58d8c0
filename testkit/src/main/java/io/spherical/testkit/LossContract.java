package io.spherical.testkit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.spherical.api.Hyperparameter;
import io.spherical.api.LossCheck;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link SphericalLoss} must meet, for plugin authors and the built-in losses alike. Extend it and
 * implement {@link #createLoss()}:
 *
 * <pre>{@code
 * class MyLossContractTest extends LossContract {
 *     protected SphericalLoss createLoss() {
 *         return new MyLoss();
 *     }
 * }
 * }</pre>
 *
 * <p>It checks the partials against central finite differences on {@value #DEFAULT_POINTS} points (with
 * {@link LossCheck}: ordinary, nearly equal, equal and extreme outputs, huge margins, up to a million classes;
 * tolerance {@value LossCheck#TOLERANCE}, see {@link LossCheck} for the error measure), for the loss as created and
 * configured with {@link #otherValues()}; that the loss and its partials are finite everywhere; that the command's
 * quick check passes; the hyperparameters' round trip through {@code configure}/{@code values} and that
 * {@code configure} leaves the original unchanged; that an unknown parameter is refused; and the properties the test
 * declares ({@link #shiftInvariant()}, {@link #scaleInvariant()}) or the loss declares ({@code normalised()}).
 */
public abstract class LossContract {
    /** Points of the finite-difference check, unless {@link #points()} is overridden. */
    public static final int DEFAULT_POINTS = 3000;
    /** Seed of those points, unless {@link #seed()} is overridden. */
    public static final long DEFAULT_SEED = 2016;

    /** The loss under test (a fresh instance each call is fine). */
    protected abstract SphericalLoss createLoss();

    /**
     * Valid values different from the created loss's, for the round trip and the check of configured losses. The
     * default takes every declared parameter's current value v to 1.5 v (0 to 0.5); override it when that leaves
     * the valid range.
     */
    protected Map<String, Double> otherValues() {
        SphericalLoss loss = createLoss();
        Map<String, Double> out = new LinkedHashMap<>();
        for (Hyperparameter p : loss.parameters()) {
            double v = loss.values().getOrDefault(p.name(), p.defaultValue());
            out.put(p.name(), v == 0 ? 0.5 : 1.5 * v);
        }
        return out;
    }

    /** Whether f is unchanged when every output moves by the same constant (checked away from degenerate points). */
    protected boolean shiftInvariant() {
        return false;
    }

    /** Whether f is unchanged when every output is multiplied by the same positive number (away from degenerate points). */
    protected boolean scaleInvariant() {
        return false;
    }

    /** How many finite-difference points to check. */
    protected int points() {
        return DEFAULT_POINTS;
    }

    /** The seed of the points. */
    protected long seed() {
        return DEFAULT_SEED;
    }

    @Test
    void describesItselfInOneLine() {
        SphericalLoss loss = createLoss();
        assertTrue(loss.name() != null && !loss.name().isBlank() && !loss.name().matches(".*\\s.*"),
                "name() must be a non-blank word (users type it after --loss): '" + loss.name() + "'");
        assertTrue(loss.description() != null && !loss.description().isBlank() && !loss.description().contains("\n"),
                loss.name() + ": description() must be one non-blank line: '" + loss.description() + "'");
    }

    @Test
    void partialsMatchFiniteDifferences() {
        LossCheck.Result r = LossCheck.check(createLoss(), points(), seed());
        assertTrue(r.worstError() <= LossCheck.TOLERANCE, r::describe);
    }

    @Test
    void partialsMatchFiniteDifferencesWithOtherValues() {
        Map<String, Double> other = otherValues();
        assumeFalse(other.isEmpty(), "no hyperparameters");
        SphericalLoss loss = createLoss().configure(other);
        LossCheck.Result r = LossCheck.check(loss, points(), seed());
        assertTrue(r.worstError() <= LossCheck.TOLERANCE, () -> "with " + other + ": " + r.describe());
        assertEquals(0, r.nonFinite(), () -> "with " + other + ": " + r.describe());
    }

    @Test
    void lossAndPartialsAreFiniteEverywhere() {
        LossCheck.Result r = LossCheck.check(createLoss(), points(), seed());
        assertEquals(0, r.nonFinite(), r::describe);
    }

    @Test
    void theCommandsQuickCheckPasses() {
        LossCheck.Result r = LossCheck.check(createLoss(), LossCheck.QUICK_POINTS, LossCheck.QUICK_SEED);
        assertTrue(r.passed(), () -> "the command would refuse this loss: " + r.describe());
    }

    @Test
    void everyDeclaredParameterHasAValueAndValidDefaults() {
        SphericalLoss loss = createLoss();
        Set<String> names = new HashSet<>();
        Map<String, Double> defaults = new HashMap<>();
        for (Hyperparameter p : loss.parameters()) {
            assertTrue(p.name() != null && !p.name().isBlank() && names.add(p.name()),
                    loss.name() + ": parameter names must be non-blank and distinct: " + loss.parameters());
            assertTrue(Double.isFinite(p.defaultValue()), loss.name() + ": the default of " + p.name() + " is not finite");
            defaults.put(p.name(), p.defaultValue());
        }
        assertEquals(names, loss.values().keySet(), loss.name() + ": values() must name exactly the declared parameters");
        Map<String, Double> back = loss.configure(defaults).values();
        defaults.forEach((k, v) -> assertEquals(v, back.getOrDefault(k, Double.NaN), 1e-12 * Math.abs(v),
                loss.name() + ": configure(the defaults) must give the defaults, " + k + " differs: " + back));
        for (long classes : new long[] {2, 10, 1000, 793_471}) {
            Map<String, Double> effective = loss.effectiveValues(classes);
            assertEquals(names, effective.keySet(), loss.name() + ": effectiveValues(" + classes + ") must name the parameters");
            effective.forEach((k, v) -> assertTrue(Double.isFinite(v), loss.name() + ": effective " + k + " = " + v
                    + " at D = " + classes));
        }
    }

    @Test
    void configureWithItsOwnValuesGivesTheSameLoss() {
        SphericalLoss loss = createLoss();
        SphericalLoss again = loss.configure(loss.values());
        assertEquals(loss.values(), again.values(), loss.name() + ": configure(values()).values() must equal values()");
        assertSameFunction(loss, again, "configure(values())");
        assertEquals(loss.values(), loss.configure(Map.of()).values(), loss.name() + ": configure(no values) changes nothing");
    }

    @Test
    void configureWithOtherValuesIsReflectedAndLeavesTheOriginalUnchanged() {
        Map<String, Double> other = otherValues();
        assumeFalse(other.isEmpty(), "no hyperparameters");
        SphericalLoss loss = createLoss();
        Map<String, Double> before = new HashMap<>(loss.values());
        double[] g = new double[3];
        double f = loss.evaluate(7.0, 1.5, 0.9, 20, g);
        SphericalLoss changed = loss.configure(other);
        Map<String, Double> after = changed.values();
        other.forEach((k, v) -> assertEquals(v, after.getOrDefault(k, Double.NaN), 1e-12 * Math.abs(v),
                loss.name() + ": configure(" + other + ") must be reflected in values(), got " + after));
        assertEquals(before, loss.values(), loss.name() + ": configure must return a copy, not change the loss");
        double[] g2 = new double[3];
        assertEquals(f, loss.evaluate(7.0, 1.5, 0.9, 20, g2), 0.0, loss.name() + ": configure changed the original's f");
        assertArrayEquals(g, g2, 0.0, loss.name() + ": configure changed the original's partials");
        assertEquals(after, changed.configure(after).values(), loss.name() + ": the configured copy must rebuild from its values");
    }

    @Test
    void anUnknownParameterIsRefusedNamingIt() {
        SphericalLoss loss = createLoss();
        UserException e = assertThrows(UserException.class, () -> loss.configure(Map.of("no-such-parameter", 1.0)),
                loss.name() + ": configure must refuse an unknown parameter with a UserException");
        assertTrue(e.getMessage() != null && e.getMessage().contains("no-such-parameter"),
                loss.name() + ": the refusal must name the parameter: " + e.getMessage());
    }

    @Test
    void shiftInvarianceHoldsWhenDeclared() {
        assumeTrue(shiftInvariant(), "not declared shift invariant");
        SphericalLoss loss = createLoss();
        Random r = new Random(seed());
        for (LossCheck.Point p : ordinaryPoints()) {
            double c = 3 * r.nextGaussian() * (1 + Math.sqrt(p.q() / p.classes()));
            long d = p.classes();
            assertInvariant(loss, p, p.q() + 2 * c * p.s() + d * c * c, p.s() + d * c, p.a() + c,
                    Math.abs(p.q()) + 2 * Math.abs(c * p.s()) + d * c * c, Math.abs(p.s()) + d * Math.abs(c),
                    Math.abs(p.a()) + Math.abs(c), "every output moved by " + c);
        }
    }

    @Test
    void scaleInvarianceHoldsWhenDeclared() {
        assumeTrue(scaleInvariant(), "not declared scale invariant");
        SphericalLoss loss = createLoss();
        Random r = new Random(seed());
        for (LossCheck.Point p : ordinaryPoints()) {
            double l = Math.exp(1.5 * r.nextGaussian());
            assertInvariant(loss, p, l * l * p.q(), l * p.s(), l * p.a(), l * l * Math.abs(p.q()), l * Math.abs(p.s()),
                    l * Math.abs(p.a()), "every output multiplied by " + l);
        }
    }

    @Test
    void aNormalisedLossIsAProbability() {
        SphericalLoss loss = createLoss();
        assumeTrue(loss.normalised(), "not normalised");
        Random r = new Random(seed());
        double[] g = new double[3];
        for (int t = 0; t < 50; t++) {
            double[] o = new double[2 + r.nextInt(40)];
            double q = 0;
            double s = 0;
            for (int k = 0; k < o.length; k++) {
                o[k] = (t % 2 == 0 ? 0 : r.nextGaussian()) + (0.1 + 3 * r.nextDouble()) * r.nextGaussian();
                q += o[k] * o[k];
                s += o[k];
            }
            double total = 0;
            for (double a : o) {
                total += Math.exp(-loss.evaluate(q, s, a, o.length, g));
            }
            assertEquals(1.0, total, 1e-9, loss.name() + " is declared normalised but exp(-f) sums to " + total
                    + " over the " + o.length + " classes of " + java.util.Arrays.toString(o));
        }
    }

    private List<LossCheck.Point> ordinaryPoints() {
        return LossCheck.points(Math.min(points(), 700), seed()).stream().filter(p -> !p.kind().degenerate()).toList();
    }

    /** f at the moved point equals f at p, to the rounding of both evaluations and of the moved inputs. */
    private static void assertInvariant(SphericalLoss loss, LossCheck.Point p, double q2, double s2, double a2,
                                        double qSize, double sSize, double aSize, String how) {
        double[] g = new double[3];
        double[] g2 = new double[3];
        double f = loss.evaluate(p.q(), p.s(), p.a(), p.classes(), g);
        double f2 = loss.evaluate(q2, s2, a2, p.classes(), g2);
        double eps = Math.ulp(1.0);
        double rounding = eps * (Math.abs(f) + Math.abs(f2)
                + Math.max(Math.abs(g[0]), Math.abs(g2[0])) * Math.max(Math.abs(p.q()), qSize)
                + Math.max(Math.abs(g[1]), Math.abs(g2[1])) * Math.max(Math.abs(p.s()), sSize)
                + Math.max(Math.abs(g[2]), Math.abs(g2[2])) * Math.max(Math.abs(p.a()), aSize));
        double tol = 1e-10 * Math.max(1, Math.abs(f)) + 64 * rounding;
        assertEquals(f, f2, tol, () -> loss.name() + " is declared invariant but f changes from " + f + " to " + f2
                + " with " + how + " at " + p);
    }

    /** The same f and partials, bit for bit, at a few points. */
    private static void assertSameFunction(SphericalLoss a, SphericalLoss b, String what) {
        double[] ga = new double[3];
        double[] gb = new double[3];
        for (LossCheck.Point p : LossCheck.points(14, 1)) {
            double fa = a.evaluate(p.q(), p.s(), p.a(), p.classes(), ga);
            double fb = b.evaluate(p.q(), p.s(), p.a(), p.classes(), gb);
            assertEquals(fa, fb, 0.0, a.name() + ": " + what + " gives another f at " + p);
            assertArrayEquals(ga, gb, 0.0, a.name() + ": " + what + " gives other partials at " + p);
        }
        assertEquals(a.normalised(), b.normalised(), a.name() + ": " + what + " changes normalised()");
    }
}
