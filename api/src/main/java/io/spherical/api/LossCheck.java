package io.spherical.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Checks a {@link SphericalLoss} the way the command does before training with it, and the way testkit's
 * {@code LossContract} does on many more points: the loss and its three partials must be finite, and each partial
 * must match a central finite difference of {@code f} in double precision.
 *
 * <p>Points. Every point is the (q, s, a; D) of a real output vector (D - 1 outputs of mean m and spread sd, plus the
 * target's a), so q &gt;= s^2/D and q &gt;= a^2 hold: ordinary outputs; outputs nearly equal (spread 1e-2, 1e-4 or
 * 1e-6 of the mean); all outputs equal (q/D - (s/D)^2 is 0 or a rounding error); the target far above or below the
 * others (2 sqrt(D) spreads, D up to 200,000: a saturated Z-loss); many classes (D up to 1,000,000). Four extreme
 * points (all outputs 0, all 1e-20, all 1e10, spread 1e6) are checked for finiteness only.
 *
 * <p>Tolerance. For the partial g_k at a point, with its natural width w_k (w_a the spread of the outputs, at least
 * 1e-3 of their root mean square; w_s = D w_a min(1, w_a/|s/D|); w_q = D w_a^2: the moves that change the spread by a
 * small fraction), the difference quotient fd is taken for steps h = w_k 10^-j, j = 2..10, and each step's error is
 * {@code (|g_k - fd| + 2 r / h) / (max(|g_k|, |fd|) + 1e-3 S / w_k)}, where r = eps (|f| + |q fq| + |s fs| + |a fa|
 * + the smallest normal double) bounds the rounding of one evaluation and S = sum_i |g_i| w_i is the change of f over
 * the natural widths. The rounding bound is added, not subtracted, so that a step too small to see anything cannot
 * pass a wrong partial; the partial's error is the smallest over the steps (some step is clear of both rounding and
 * truncation for a smooth loss, and of the kink for a floored one). A loss passes when no value is non-finite and
 * the worst error is at most {@value #TOLERANCE}: correct partials reach 1e-7 or better, a wrong sign gives 2, a
 * dropped term its share of the partial.
 */
public final class LossCheck {
    /** The largest error a correct partial may show. */
    public static final double TOLERANCE = 1e-4;
    /** Points of the check the command runs on every loss it creates (about a millisecond). */
    public static final int QUICK_POINTS = 24;
    /** Seed of those points: fixed, so that a loss passes or fails the same way on every run. */
    public static final long QUICK_SEED = 2016;

    private static final double EPS = Math.ulp(1.0);
    private static final double ABS_SHARE = 1e-3;
    private static final double[] STEPS = {1e-2, 1e-3, 1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10};
    private static final String[] PARTIALS = {"df/dq", "df/ds", "df/da"};
    private static final Kind[] FAMILIES = {Kind.ORDINARY, Kind.NEAR_EQUAL, Kind.EQUAL, Kind.MARGIN_ABOVE,
        Kind.MARGIN_BELOW, Kind.LARGE_D, Kind.ORDINARY};
    private static final double[] SPREADS = {0.2, 1, 5};
    private static final double[] NEAR_SPREADS = {1e-2, 1e-4, 1e-6};
    private static final long[] MARGIN_CLASSES = {1000, 20_000, 200_000};

    private LossCheck() {
    }

    /** What a point stands for. */
    public enum Kind {
        /** Outputs of spread 0.2 to 5, mean 0 or random. */
        ORDINARY("ordinary outputs"),
        /** Outputs whose spread is 1e-2, 1e-4 or 1e-6 of their mean. */
        NEAR_EQUAL("outputs nearly equal"),
        /** Every output the same. */
        EQUAL("all outputs equal"),
        /** The target 2 sqrt(D) spreads above the others. */
        MARGIN_ABOVE("target far above the others"),
        /** The target 2 sqrt(D) spreads below the others. */
        MARGIN_BELOW("target far below the others"),
        /** 100,000 to 1,000,000 classes. */
        LARGE_D("many classes"),
        /** Zero, tiny, huge or hugely spread outputs: checked for finiteness only. */
        EXTREME("extreme outputs");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        /** A few words saying what the point is. */
        public String label() {
            return label;
        }

        /** Whether the outputs are (nearly) equal or extreme, where a floor on the spread may break an invariance. */
        public boolean degenerate() {
            return this == NEAR_EQUAL || this == EQUAL || this == EXTREME;
        }
    }

    /**
     * One point of the check: the statistics of an output vector.
     *
     * @param q       sum of squared outputs
     * @param s       sum of outputs
     * @param a       the target's output
     * @param classes D
     * @param kind    what it stands for
     */
    public record Point(double q, double s, double a, long classes, Kind kind) {
        /** D - 1 outputs of mean {@code mean} and spread {@code spread} (population), plus the target's {@code a}. */
        static Point of(Kind kind, long classes, double mean, double spread, double a) {
            double others = classes - 1;
            return new Point(others * (spread * spread + mean * mean) + a * a, others * mean + a, a, classes, kind);
        }

        @Override
        public String toString() {
            return "(q=" + q + ", s=" + s + ", a=" + a + ", D=" + classes + "; " + kind.label() + ")";
        }
    }

    /**
     * The outcome of a check.
     *
     * @param loss           the loss's name
     * @param worstError     the largest error of a partial (see {@link LossCheck}); 0 when no point was differenced
     * @param worstPartial   which partial it was ({@code df/dq}, {@code df/ds} or {@code df/da}); null when none
     * @param worstPoint     where it was; null when none
     * @param nonFinite      points where f, a partial or every difference quotient was not finite
     * @param nonFinitePoint the first of them; null when none
     * @param points         points checked
     */
    public record Result(String loss, double worstError, String worstPartial, Point worstPoint, int nonFinite,
                         Point nonFinitePoint, int points) {
        /** Whether every value was finite and every partial within {@link LossCheck#TOLERANCE}. */
        public boolean passed() {
            return nonFinite == 0 && worstError <= TOLERANCE;
        }

        /** {@code worst error E in df/dX}, without the point. */
        public String worst() {
            return worstPoint == null ? "no point differenced" : "worst error " + format(worstError) + " in " + worstPartial;
        }

        /** What is wrong, in one line: the first non-finite point, else the worst error and where it was. */
        public String failure() {
            if (nonFinite > 0) {
                return "a non-finite loss or partial at " + nonFinitePoint
                        + (nonFinite > 1 ? " and " + (nonFinite - 1) + " more point(s)" : "");
            }
            return worst() + (worstPoint == null ? "" : " at " + worstPoint);
        }

        /** One line: the loss, pass or fail, the worst error and where, the number of points and the tolerance. */
        public String describe() {
            return loss + ": " + (passed() ? "pass" : "FAIL") + ", " + failure() + " (" + points + " points, tolerance "
                    + format(TOLERANCE) + ")";
        }
    }

    /**
     * Checks {@code loss} on {@code points} finite-difference points drawn with {@code seed}, plus the four extreme
     * points. Exceptions thrown by the loss propagate.
     */
    public static Result check(SphericalLoss loss, int points, long seed) {
        double[] g = new double[3];
        double[] scratch = new double[3];
        double worst = -1;
        String worstPartial = null;
        Point worstPoint = null;
        int nonFinite = 0;
        Point nonFinitePoint = null;
        List<Point> all = points(points, seed);
        for (Point p : all) {
            Arrays.fill(g, Double.NaN); // a partial left unwritten is caught as non-finite
            double f = loss.evaluate(p.q(), p.s(), p.a(), p.classes(), g);
            boolean finite = Double.isFinite(f) && Double.isFinite(g[0]) && Double.isFinite(g[1]) && Double.isFinite(g[2]);
            if (finite && p.kind() != Kind.EXTREME) {
                double[] x = {p.q(), p.s(), p.a()};
                double[] w = widths(p);
                double rounding = EPS * (Math.abs(f) + Math.abs(x[0] * g[0]) + Math.abs(x[1] * g[1])
                        + Math.abs(x[2] * g[2]) + Double.MIN_NORMAL);
                double change = Math.abs(g[0]) * w[0] + Math.abs(g[1]) * w[1] + Math.abs(g[2]) * w[2];
                for (int k = 0; k < 3 && finite; k++) {
                    double e = partialError(loss, p, x, k, g[k], w[k], rounding, ABS_SHARE * change / w[k], scratch);
                    if (Double.isNaN(e)) {
                        finite = false;
                    } else if (e > worst) {
                        worst = e;
                        worstPartial = PARTIALS[k];
                        worstPoint = p;
                    }
                }
            }
            if (!finite) {
                nonFinite++;
                nonFinitePoint = nonFinitePoint == null ? p : nonFinitePoint;
            }
        }
        return new Result(loss.name(), Math.max(worst, 0), worstPartial, worstPoint, nonFinite, nonFinitePoint, all.size());
    }

    /** The smallest error over the steps; NaN when no step gave a finite difference quotient. */
    private static double partialError(SphericalLoss loss, Point p, double[] x, int k, double gk, double w,
                                       double rounding, double absFloor, double[] scratch) {
        double best = Double.NaN;
        double[] up = x.clone();
        double[] down = x.clone();
        for (double step : STEPS) {
            up[k] = x[k] + step * w;
            down[k] = x[k] - step * w;
            double width = up[k] - down[k]; // the steps actually taken, after rounding
            if (!(width > 0)) {
                continue;
            }
            double fUp = loss.evaluate(up[0], up[1], up[2], p.classes(), scratch);
            double fDown = loss.evaluate(down[0], down[1], down[2], p.classes(), scratch);
            if (!Double.isFinite(fUp) || !Double.isFinite(fDown)) {
                continue;
            }
            double fd = (fUp - fDown) / width;
            double diff = Math.abs(gk - fd);
            double e = diff == 0 ? 0 : (diff + 4 * rounding / width) / (Math.max(Math.abs(gk), Math.abs(fd)) + absFloor);
            if (!(e >= best)) { // also replaces the initial NaN
                best = e;
            }
        }
        return best;
    }

    /** The natural widths of q, s and a at a point (see the class comment). */
    private static double[] widths(Point p) {
        double d = p.classes();
        double mu = p.s() / d;
        double rms = Math.sqrt(Math.max(p.q() / d, 0));
        double wa = Math.max(Math.sqrt(Math.max(p.q() / d - mu * mu, 0)), 1e-3 * rms);
        wa = wa > 0 && Double.isFinite(wa) ? wa : 1;
        double ws = d * wa * (Math.abs(mu) > wa ? wa / Math.abs(mu) : 1);
        double wq = d * wa * wa;
        return new double[] {wq > 0 && Double.isFinite(wq) ? wq : 1, ws > 0 && Double.isFinite(ws) ? ws : 1, wa};
    }

    /**
     * The points of a check: {@code count} finite-difference points cycling through the kinds, drawn with
     * {@code seed}, then the four {@link Kind#EXTREME} points.
     */
    public static List<Point> points(int count, long seed) {
        Random r = new Random(seed);
        List<Point> out = new ArrayList<>(Math.max(count, 0) + 4);
        for (int i = 0; i < count; i++) {
            out.add(point(FAMILIES[i % FAMILIES.length], r, i / FAMILIES.length));
        }
        out.add(new Point(0, 0, 0, 10, Kind.EXTREME));
        out.add(new Point(1000 * 1e-20 * 1e-20, 1000 * 1e-20, 1e-20, 1000, Kind.EXTREME));
        out.add(new Point(1000 * 1e10 * 1e10, 1000 * 1e10, 1e10, 1000, Kind.EXTREME));
        out.add(Point.of(Kind.EXTREME, 50, 0, 1e6, 3e6));
        return List.copyOf(out);
    }

    private static Point point(Kind kind, Random r, int round) {
        switch (kind) {
            case ORDINARY: {
                long d = 3 + r.nextInt(60);
                double m = round % 2 == 0 ? 0 : 3 * r.nextGaussian();
                double sd = SPREADS[r.nextInt(SPREADS.length)];
                return Point.of(kind, d, m, sd, m + sd * r.nextGaussian());
            }
            case NEAR_EQUAL: {
                long d = 3 + r.nextInt(60);
                double m = signedMagnitude(r);
                double sd = Math.abs(m) * NEAR_SPREADS[round % NEAR_SPREADS.length];
                return Point.of(kind, d, m, sd, m + sd * r.nextGaussian());
            }
            case EQUAL: {
                long d = 3 + r.nextInt(1000);
                double m = signedMagnitude(r);
                return new Point(d * m * m, d * m, m, d, kind);
            }
            case MARGIN_ABOVE:
            case MARGIN_BELOW: {
                long d = MARGIN_CLASSES[round % MARGIN_CLASSES.length];
                double m = r.nextGaussian();
                double sd = 0.5 + r.nextDouble();
                double margin = 2 * sd * Math.sqrt(d);
                return Point.of(kind, d, m, sd, kind == Kind.MARGIN_ABOVE ? m + margin : m - margin);
            }
            default: {
                long d = 100_000 + r.nextInt(900_001);
                double m = r.nextGaussian();
                double sd = 0.5 + 1.5 * r.nextDouble();
                return Point.of(Kind.LARGE_D, d, m, sd, m + sd * r.nextGaussian());
            }
        }
    }

    /** A magnitude in [0.5, 3) with a random sign. */
    private static double signedMagnitude(Random r) {
        return (r.nextBoolean() ? 1 : -1) * (0.5 + 2.5 * r.nextDouble());
    }

    /** Two significant digits, e.g. {@code 2.0}, {@code 0.50} or {@code 3.1e-09}. */
    static String format(double v) {
        double m = Math.abs(v);
        return String.format(Locale.ROOT, m != 0 && (m < 1e-2 || m >= 1e3) ? "%.1e" : "%.2g", v);
    }
}
