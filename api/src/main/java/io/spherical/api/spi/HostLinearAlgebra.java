package io.spherical.api.spi;

/** Dense linear algebra on the host in double precision: the fallback for backends without a fast solver. */
public final class HostLinearAlgebra {
    private HostLinearAlgebra() {
    }

    /**
     * Solves {@code a x = b} by LU with partial pivoting in double precision; {@code a} is n x n and {@code b} n x k,
     * both row-major floats. Returns x as floats.
     *
     * @throws ArithmeticException when a pivot is zero (a singular to working precision)
     */
    public static float[] solve(float[] a, int n, float[] b, int k) {
        double[] lu = new double[n * n];
        for (int i = 0; i < n * n; i++) {
            lu[i] = a[i];
        }
        double[] x = new double[n * k];
        for (int i = 0; i < n * k; i++) {
            x[i] = b[i];
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            double best = Math.abs(lu[col * n + col]);
            for (int r = col + 1; r < n; r++) {
                double v = Math.abs(lu[r * n + col]);
                if (v > best) {
                    best = v;
                    piv = r;
                }
            }
            if (best == 0 || Double.isNaN(best)) {
                throw new ArithmeticException("solve: matrix is singular (zero pivot in column " + col + ")");
            }
            if (piv != col) {
                swapRows(lu, n, piv, col);
                swapRows(x, k, piv, col);
            }
            double p = lu[col * n + col];
            for (int r = col + 1; r < n; r++) {
                double f = lu[r * n + col] / p;
                if (f == 0) {
                    continue;
                }
                lu[r * n + col] = f;
                for (int c = col + 1; c < n; c++) {
                    lu[r * n + c] -= f * lu[col * n + c];
                }
                for (int c = 0; c < k; c++) {
                    x[r * k + c] -= f * x[col * k + c];
                }
            }
        }
        for (int r = n - 1; r >= 0; r--) {
            for (int c2 = r + 1; c2 < n; c2++) {
                double f = lu[r * n + c2];
                if (f != 0) {
                    for (int c = 0; c < k; c++) {
                        x[r * k + c] -= f * x[c2 * k + c];
                    }
                }
            }
            double p = lu[r * n + r];
            for (int c = 0; c < k; c++) {
                x[r * k + c] /= p;
            }
        }
        float[] out = new float[n * k];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) x[i];
        }
        return out;
    }

    private static void swapRows(double[] m, int cols, int i, int j) {
        for (int c = 0; c < cols; c++) {
            double t = m[i * cols + c];
            m[i * cols + c] = m[j * cols + c];
            m[j * cols + c] = t;
        }
    }
}
