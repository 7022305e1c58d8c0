package io.spherical.testkit;

import java.util.Random;

/** A float64 row-major matrix with the few operations the references need; the oracle of the contract suites. */
public final class Dense64 {
    /** Number of rows. */
    public final int rows;
    /** Number of columns. */
    public final int cols;
    /** Row-major values. */
    public final double[] v;

    /** A zero matrix. */
    public Dense64(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.v = new double[rows * cols];
    }

    /** Wraps float values as doubles. */
    public static Dense64 of(float[] data, int rows, int cols) {
        Dense64 m = new Dense64(rows, cols);
        for (int i = 0; i < data.length && i < m.v.length; i++) {
            m.v[i] = data[i];
        }
        return m;
    }

    /** Uniform values in [-scale, scale), drawn as floats so that float and double copies are identical. */
    public static float[] randomFloats(Random rnd, int n, double scale) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return f;
    }

    /** Element (i, j). */
    public double get(int i, int j) {
        return v[i * cols + j];
    }

    /** Sets element (i, j). */
    public void set(int i, int j, double x) {
        v[i * cols + j] = x;
    }

    /** Transposed copy. */
    public Dense64 t() {
        Dense64 r = new Dense64(cols, rows);
        for (int i = 0; i < rows; i++) {
            for (int j = 0; j < cols; j++) {
                r.set(j, i, get(i, j));
            }
        }
        return r;
    }

    /** Matrix product this * b. */
    public Dense64 times(Dense64 b) {
        if (cols != b.rows) {
            throw new IllegalArgumentException(rows + "x" + cols + " * " + b.rows + "x" + b.cols);
        }
        Dense64 r = new Dense64(rows, b.cols);
        for (int i = 0; i < rows; i++) {
            for (int k = 0; k < cols; k++) {
                double a = get(i, k);
                if (a == 0) {
                    continue;
                }
                int bo = k * b.cols;
                int ro = i * b.cols;
                for (int j = 0; j < b.cols; j++) {
                    r.v[ro + j] += a * b.v[bo + j];
                }
            }
        }
        return r;
    }

    /** this + s * b, as a new matrix. */
    public Dense64 plus(double s, Dense64 b) {
        Dense64 r = copy();
        for (int i = 0; i < v.length; i++) {
            r.v[i] += s * b.v[i];
        }
        return r;
    }

    /** A copy. */
    public Dense64 copy() {
        Dense64 r = new Dense64(rows, cols);
        System.arraycopy(v, 0, r.v, 0, v.length);
        return r;
    }

    /** Values rounded to float, row-major. */
    public float[] toFloats() {
        float[] f = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            f[i] = (float) v[i];
        }
        return f;
    }

    /** Frobenius norm. */
    public double norm() {
        double s = 0;
        for (double x : v) {
            s += x * x;
        }
        return Math.sqrt(s);
    }

    /** ||this - other||_F / max(||other||_F, tiny): the relative error used in every equivalence test. */
    public double relativeError(Dense64 other) {
        double s = 0;
        for (int i = 0; i < v.length; i++) {
            double d = v[i] - other.v[i];
            s += d * d;
        }
        return Math.sqrt(s) / Math.max(other.norm(), 1e-300);
    }
}
