package io.spherical.testkit;

import static io.spherical.testkit.Tolerances.assertClose;
import static io.spherical.testkit.Tolerances.dotRtol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The first half of {@link BackendContract}: creation and transfer, GEMM and BLAS-1, element-wise maps and
 * reductions, each against a float64 reference on awkward shapes. Backends extend {@link BackendContract}, which runs
 * these too.
 */
public abstract class DenseOpsContract extends ContractFixture {

    // ---- creation and transfer ----------------------------------------------------------------------------

    @Test
    void zerosHasShapeAndZeros() {
        for (int[] s : shapes()) {
            Tensor t = zeros(s[0], s[1]);
            assertEquals(s[0], t.rows());
            assertEquals(s[1], t.cols());
            assertArrayEquals(new float[s[0] * s[1]], backend.toHost(t));
        }
        Tensor empty = zeros(0, 5);
        assertEquals(0, empty.size());
        assertEquals(0, backend.toHost(empty).length);
    }

    @Test
    void uploadDownloadRoundTripsExactly() {
        float[] data = random(37 * 3);
        data[5] = Float.NaN;
        data[6] = Float.POSITIVE_INFINITY;
        data[7] = -0.0f;
        Tensor t = tensor(data, 37, 3);
        assertArrayEquals(data, backend.toHost(t));
        float[] other = random(37 * 3);
        backend.upload(other, t);
        assertArrayEquals(other, backend.toHost(t));
        assertThrows(IllegalArgumentException.class, () -> backend.upload(new float[3], t));
    }

    @Test
    void rowRangeIsAViewSharingStorage() {
        float[] data = random(10 * 4);
        Tensor t = tensor(data, 10, 4);
        Tensor view = t.rowRange(3, 7);
        assertEquals(4, view.rows());
        assertArrayEquals(Arrays.copyOfRange(data, 12, 28), backend.toHost(view));
        backend.fill(view, 2f);
        float[] after = backend.toHost(t);
        for (int i = 0; i < 40; i++) {
            assertEquals(i >= 12 && i < 28 ? 2f : data[i], after[i], "element " + i);
        }
        view.close();
        assertTrue(!t.isClosed(), "closing a view must not close its parent");
        assertThrows(IndexOutOfBoundsException.class, () -> t.rowRange(5, 11));
    }

    @Test
    void copyAndFill() {
        float[] data = random(7 * 5);
        Tensor a = tensor(data, 7, 5);
        Tensor b = zeros(7, 5);
        backend.copy(a, b);
        assertArrayEquals(data, backend.toHost(b));
        backend.fill(b, -3.5f);
        float[] f = backend.toHost(b);
        for (float v : f) {
            assertEquals(-3.5f, v);
        }
        assertThrows(IllegalArgumentException.class, () -> backend.copy(a, zeros(5, 7)));
    }

    @Test
    void closedTensorIsRejected() {
        Tensor t = backend.zeros(2, 2);
        t.close();
        assertTrue(t.isClosed());
        assertThrows(IllegalStateException.class, () -> backend.toHost(t));
    }

    // ---- BLAS ---------------------------------------------------------------------------------------------

    static List<Object[]> gemmCases() {
        int[][] mnk = {{1, 1, 1}, {1, 9, 5}, {9, 1, 5}, {5, 7, 1}, {33, 17, 65}, {3, 129, 40}, {200, 31, 64}};
        List<Object[]> cases = new ArrayList<>();
        for (int[] s : mnk) {
            for (boolean ta : new boolean[] {false, true}) {
                for (boolean tb : new boolean[] {false, true}) {
                    cases.add(new Object[] {s[0], s[1], s[2], ta, tb});
                }
            }
        }
        return cases;
    }

    @ParameterizedTest(name = "m={0} n={1} k={2} transA={3} transB={4}")
    @MethodSource("gemmCases")
    void gemmMatchesFloat64Reference(int m, int n, int k, boolean transA, boolean transB) {
        checkGemm(m, n, k, transA, transB, 0.75f, 0.5f);
        checkGemm(m, n, k, transA, transB, -1.25f, 0f);
    }

    private void checkGemm(int m, int n, int k, boolean transA, boolean transB, float alpha, float beta) {
        float[] af = random(m * k);
        float[] bf = random(k * n);
        float[] cf = random(m * n);
        Tensor a = transA ? tensor(Dense64.of(af, m, k).t().toFloats(), k, m) : tensor(af, m, k);
        Tensor b = transB ? tensor(Dense64.of(bf, k, n).t().toFloats(), n, k) : tensor(bf, k, n);
        Tensor c = tensor(cf, m, n);
        backend.gemm(alpha, a, transA, b, transB, beta, c);
        double[] exp = new double[m * n];
        double[] scale = new double[m * n];
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                double sa = 0;
                for (int p = 0; p < k; p++) {
                    double prod = (double) af[i * k + p] * bf[p * n + j];
                    s += prod;
                    sa += Math.abs(prod);
                }
                exp[i * n + j] = alpha * s + beta * (double) cf[i * n + j];
                scale[i * n + j] = Math.abs(alpha) * sa + Math.abs(beta * cf[i * n + j]);
            }
        }
        assertClose("gemm", exp, backend.toHost(c), scale, dotRtol(k), 1e-7);
    }

    @Test
    void gemmWithZeroBetaIgnoresNaNInOutput() {
        float[] cf = new float[4 * 3];
        Arrays.fill(cf, Float.NaN);
        Tensor c = tensor(cf, 4, 3);
        Tensor a = tensor(random(4 * 5), 4, 5);
        Tensor b = tensor(random(5 * 3), 5, 3);
        backend.gemm(1f, a, false, b, false, 0f, c);
        for (float v : backend.toHost(c)) {
            assertTrue(!Float.isNaN(v), "beta = 0 must overwrite C");
        }
    }

    @Test
    void gemmPropagatesNaNFromInputs() {
        float[] af = random(3 * 4);
        af[0] = Float.NaN;
        Tensor c = zeros(3, 2);
        backend.gemm(1f, tensor(af, 3, 4), false, tensor(random(4 * 2), 4, 2), false, 0f, c);
        float[] r = backend.toHost(c);
        assertTrue(Float.isNaN(r[0]) && Float.isNaN(r[1]), "row 0 must be NaN");
        assertTrue(!Float.isNaN(r[2]), "row 1 must not be");
    }

    @Test
    void gemmOnRowViews() {
        float[] af = random(10 * 6);
        float[] bf = random(6 * 4);
        Tensor a = tensor(af, 10, 6);
        Tensor b = tensor(bf, 6, 4);
        Tensor c = zeros(10, 4);
        backend.gemm(1f, a.rowRange(2, 7), false, b, false, 0f, c.rowRange(4, 9));
        Dense64 ref = Dense64.of(Arrays.copyOfRange(af, 12, 42), 5, 6).times(Dense64.of(bf, 6, 4));
        double[] exp = new double[40];
        System.arraycopy(ref.v, 0, exp, 16, 20);
        assertClose("gemm on views", exp, backend.toHost(c), dotRtol(6), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> backend.gemm(1f, a, false, a, false, 0f, c));
    }

    /** A, B and C as disjoint row ranges of one storage, B transposed: each operand must read its own rows. */
    @Test
    void gemmOnViewsOfOneStorage() {
        float[] xf = random(13 * 6);
        Tensor x = tensor(xf, 13, 6);
        backend.gemm(1f, x.rowRange(1, 4), false, x.rowRange(4, 10), true, 0f, x.rowRange(10, 13));
        Dense64 ref = Dense64.of(Arrays.copyOfRange(xf, 6, 24), 3, 6)
                .times(Dense64.of(Arrays.copyOfRange(xf, 24, 60), 6, 6).t());
        double[] exp = new double[13 * 6];
        for (int i = 0; i < 60; i++) {
            exp[i] = xf[i];
        }
        System.arraycopy(ref.v, 0, exp, 60, 18);
        assertClose("gemm on views of one storage", exp, backend.toHost(x), dotRtol(6), 1e-6);
    }

    @Test
    void gemmWithEmptyInnerDimensionScalesC() {
        Tensor c = tensor(new float[] {1, 2, 3, 4}, 2, 2);
        backend.gemm(1f, zeros(2, 0), false, zeros(0, 2), false, 0.5f, c);
        assertArrayEquals(new float[] {0.5f, 1f, 1.5f, 2f}, backend.toHost(c));
    }

    @Test
    void axpyAndScale() {
        for (int[] s : shapes()) {
            int n = s[0] * s[1];
            float[] xf = random(n);
            float[] yf = random(n);
            Tensor x = tensor(xf, s[0], s[1]);
            Tensor y = tensor(yf, s[0], s[1]);
            backend.axpy(-0.3f, x, y);
            double[] exp = new double[n];
            for (int i = 0; i < n; i++) {
                exp[i] = yf[i] - 0.3 * xf[i];
            }
            assertClose("axpy", exp, backend.toHost(y), 4 * Tolerances.EPS32, 1e-7);
            backend.addScalar(0.75f, y);
            for (int i = 0; i < n; i++) {
                exp[i] = yf[i] - 0.3 * xf[i] + 0.75;
            }
            assertClose("addScalar", exp, backend.toHost(y), 8 * Tolerances.EPS32, 1e-7);
            backend.scale(2.5f, x);
            for (int i = 0; i < n; i++) {
                exp[i] = 2.5 * xf[i];
            }
            assertClose("scale", exp, backend.toHost(x), 2 * Tolerances.EPS32, 0);
        }
        // large enough to take any vectorised/BLAS path
        float[] xf = random(300 * 300);
        float[] yf = random(300 * 300);
        Tensor x = tensor(xf, 300, 300);
        Tensor y = tensor(yf, 300, 300);
        backend.axpy(2f, x, y);
        double[] exp = new double[xf.length];
        for (int i = 0; i < xf.length; i++) {
            exp[i] = yf[i] + 2.0 * xf[i];
        }
        assertClose("axpy large", exp, backend.toHost(y), 4 * Tolerances.EPS32, 1e-7);
    }

    // ---- elementwise --------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void mapMatchesReferenceAndPropagatesNaN(UnaryOp f) {
        int rows = 33;
        int cols = 19;
        float[] xf = Dense64.randomFloats(rnd, rows * cols, 4.0);
        if (f == UnaryOp.LOG || f == UnaryOp.SQRT || f == UnaryOp.RECIPROCAL) {
            for (int i = 0; i < xf.length; i++) {
                xf[i] = Math.abs(xf[i]) + 1e-3f;
            }
        }
        xf[3] = Float.NaN;
        Tensor x = tensor(xf, rows, cols);
        Tensor out = zeros(rows, cols);
        backend.map(f, x, out);
        double[] exp = new double[xf.length];
        for (int i = 0; i < xf.length; i++) {
            exp[i] = f.apply(xf[i]);
        }
        assertClose("map " + f, exp, backend.toHost(out), 1e-6, 1e-7);
        backend.map(f, x, x); // in place
        assertClose("map in place " + f, exp, backend.toHost(x), 1e-6, 1e-7);
    }

    @ParameterizedTest
    @EnumSource(UnaryOp.class)
    void mapBackwardUsesTheOutputForm(UnaryOp f) {
        int rows = 17;
        int cols = 23;
        float[] xf = Dense64.randomFloats(rnd, rows * cols, 3.0);
        float[] gf = random(rows * cols);
        Tensor y = zeros(rows, cols);
        Tensor g = tensor(gf, rows, cols);
        Tensor out = zeros(rows, cols);
        if (!f.hasBackward()) {
            assertThrows(IllegalArgumentException.class, () -> backend.mapBackward(f, y, g, out));
            return;
        }
        float[] yf = new float[xf.length];
        for (int i = 0; i < xf.length; i++) {
            yf[i] = (float) f.apply(xf[i]);
        }
        backend.upload(yf, y);
        backend.mapBackward(f, y, g, out);
        double[] exp = new double[xf.length];
        for (int i = 0; i < xf.length; i++) {
            exp[i] = gf[i] * f.derivativeFromOutput(yf[i]);
        }
        assertClose("mapBackward " + f, exp, backend.toHost(out), 1e-6, 1e-7);
    }

    @Test
    void mulScaleRowsScaleColumnsAddRowVector() {
        for (int[] s : shapes()) {
            int r = s[0];
            int c = s[1];
            float[] af = random(r * c);
            float[] bf = random(r * c);
            float[] rv = random(r);
            float[] cv = random(c);
            Tensor a = tensor(af, r, c);
            Tensor b = tensor(bf, r, c);
            Tensor out = zeros(r, c);
            double[] exp = new double[r * c];
            backend.mul(a, b, out);
            for (int i = 0; i < exp.length; i++) {
                exp[i] = (double) af[i] * bf[i];
            }
            assertClose("mul", exp, backend.toHost(out), 2 * Tolerances.EPS32, 0);
            backend.scaleRows(a, tensor(rv, r, 1), out);
            for (int i = 0; i < exp.length; i++) {
                exp[i] = (double) af[i] * rv[i / c];
            }
            assertClose("scaleRows", exp, backend.toHost(out), 2 * Tolerances.EPS32, 0);
            backend.scaleColumns(a, tensor(cv, 1, c), out);
            for (int i = 0; i < exp.length; i++) {
                exp[i] = (double) af[i] * cv[i % c];
            }
            assertClose("scaleColumns", exp, backend.toHost(out), 2 * Tolerances.EPS32, 0);
            backend.addRowVector(2f, tensor(cv, c, 1), a);
            for (int i = 0; i < exp.length; i++) {
                exp[i] = af[i] + 2.0 * cv[i % c];
            }
            assertClose("addRowVector", exp, backend.toHost(a), 4 * Tolerances.EPS32, 1e-7);
        }
        assertThrows(IllegalArgumentException.class, () -> backend.scaleRows(zeros(3, 2), zeros(2, 1), zeros(3, 2)));
    }

    // ---- reductions ---------------------------------------------------------------------------------------

    @ParameterizedTest
    @EnumSource(Reduction.class)
    void reductionsMatchReference(Reduction red) {
        for (int[] s : shapes()) {
            int r = s[0];
            int c = s[1];
            float[] xf = random(r * c);
            Tensor x = tensor(xf, r, c);
            Tensor rowsOut = zeros(r, 1);
            Tensor colsOut = zeros(1, c);
            backend.reduceRows(red, x, rowsOut);
            backend.reduceColumns(red, x, colsOut);
            double[] er = new double[r];
            double[] ec = new double[c];
            Arrays.fill(er, red == Reduction.MAX ? Double.NEGATIVE_INFINITY : 0);
            Arrays.fill(ec, red == Reduction.MAX ? Double.NEGATIVE_INFINITY : 0);
            for (int i = 0; i < r; i++) {
                for (int j = 0; j < c; j++) {
                    double v = xf[i * c + j];
                    double t = red == Reduction.SUM_SQUARES ? v * v : v;
                    er[i] = red == Reduction.MAX ? Math.max(er[i], v) : er[i] + t;
                    ec[j] = red == Reduction.MAX ? Math.max(ec[j], v) : ec[j] + t;
                }
            }
            assertClose(red + " rows", er, backend.toHost(rowsOut), dotRtol(c), 1e-6);
            assertClose(red + " cols", ec, backend.toHost(colsOut), dotRtol(r), 1e-6);
        }
        float[] withNaN = {1, Float.NaN, 3, 4, 5, 6};
        Tensor x = tensor(withNaN, 2, 3);
        Tensor out = zeros(2, 1);
        backend.reduceRows(red, x, out);
        float[] r = backend.toHost(out);
        assertTrue(Float.isNaN(r[0]) && !Float.isNaN(r[1]), red + " must propagate NaN to its row only");
    }

    @Test
    void rowDotMatchesReference() {
        for (int[] s : shapes()) {
            float[] af = random(s[0] * s[1]);
            float[] bf = random(s[0] * s[1]);
            Tensor out = zeros(s[0], 1);
            backend.rowDot(tensor(af, s[0], s[1]), tensor(bf, s[0], s[1]), out);
            double[] exp = new double[s[0]];
            double[] scale = new double[s[0]];
            for (int i = 0; i < s[0]; i++) {
                for (int j = 0; j < s[1]; j++) {
                    exp[i] += (double) af[i * s[1] + j] * bf[i * s[1] + j];
                    scale[i] += Math.abs((double) af[i * s[1] + j] * bf[i * s[1] + j]);
                }
            }
            assertClose("rowDot", exp, backend.toHost(out), scale, dotRtol(s[1]), 1e-7);
        }
    }
}
