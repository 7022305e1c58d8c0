package io.spherical.testkit;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Assertions with stated tolerances for float32 results checked against float64 references.
 *
 * <p>Elementwise rule: {@code |actual - expected| <= atol + rtol * scale}, where {@code scale} is the magnitude the
 * error should be measured against (for a dot product of length k, the sum of |a_i b_i|, not the result, since
 * cancellation makes the result itself small). The float32 unit roundoff is {@value #EPS32}.
 */
public final class Tolerances {
    /** Unit roundoff of float32 (2^-24). */
    public static final double EPS32 = 5.96e-8;

    private Tolerances() {
    }

    /** Relative tolerance of a float32 dot product of length k accumulated in float: 2 k eps + 4 eps. */
    public static double dotRtol(int k) {
        return (2.0 * Math.max(k, 1) + 4.0) * EPS32;
    }

    /** Asserts elementwise closeness with per-element scales; NaN must match NaN. */
    public static void assertClose(String what, double[] expected, float[] actual, double[] scale, double rtol, double atol) {
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i];
            double a = actual[i];
            if (Double.isNaN(e) || Double.isNaN(a)) {
                if (Double.isNaN(e) != Double.isNaN(a)) {
                    fail(what + ": element " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            if (Double.isInfinite(e) || Double.isInfinite(a)) {
                if (e != a) {
                    fail(what + ": element " + i + " expected " + e + " but was " + a);
                }
                continue;
            }
            double tol = atol + rtol * (scale == null ? Math.abs(e) : scale[i]);
            if (Math.abs(a - e) > tol) {
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (|diff| "
                        + Math.abs(a - e) + " > tolerance " + tol + ")");
            }
        }
    }

    /** Asserts elementwise closeness relative to each expected value. */
    public static void assertClose(String what, double[] expected, float[] actual, double rtol, double atol) {
        assertClose(what, expected, actual, null, rtol, atol);
    }

}
