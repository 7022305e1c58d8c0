package io.spherical.models.output;

import io.spherical.api.SphericalLoss;
import io.spherical.testkit.Dense64;
import java.util.Random;

/** The float64 checks and inputs the factored-layer contract suites share. */
final class FactoredChecks {
    private FactoredChecks() {
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

    static double relErr(double[] exp, double[] got) {
        double num = 0;
        double den = 0;
        for (int i = 0; i < exp.length; i++) {
            num += (exp[i] - got[i]) * (exp[i] - got[i]);
            den += exp[i] * exp[i];
        }
        return Math.sqrt(num / Math.max(den, 1e-300));
    }

    /** Whether a d x d matrix is exactly the identity. */
    static boolean isIdentity(float[] a, int d) {
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                if (a[i * d + j] != (i == j ? 1f : 0f)) {
                    return false;
                }
            }
        }
        return true;
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

    /** A loss whose value (k = 0) or partial k - 1 is NaN. */
    static SphericalLoss nanIn(int k) {
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
}
