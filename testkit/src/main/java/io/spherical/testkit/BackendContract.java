package io.spherical.testkit;

import static io.spherical.testkit.Tolerances.assertClose;
import static io.spherical.testkit.Tolerances.dotRtol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every {@link Backend} must pass: each operation checked against a float64 reference on random inputs
 * of awkward shapes (1x1, tall, wide, transposed operands, empty and repeated index vectors, NaN where it matters).
 *
 * <p>A backend module runs it by extending this class and implementing {@link #createBackend()}. Tolerances are
 * stated per test: elementwise ops within 2 ulp-scale relative error, dot products within
 * {@link Tolerances#dotRtol(int)} of the sum of absolute products.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendContract {

    /** Creates the backend under test (called once per test class). */
    protected abstract Backend createBackend();

    /** The backend under test. */
    protected Backend backend;
    private final List<Tensor> live = new ArrayList<>();
    private final Random rnd = new Random(20160428);

    @BeforeAll
    void openBackend() {
        backend = createBackend();
    }

    @AfterAll
    void closeBackend() {
        if (backend != null) { // null when the suite was skipped
            backend.close();
        }
    }

    @AfterEach
    void releaseTensors() {
        live.forEach(Tensor::close);
        live.clear();
    }

    private Tensor tensor(float[] data, int rows, int cols) {
        Tensor t = backend.fromHost(data, rows, cols);
        live.add(t);
        return t;
    }

    private Tensor zeros(int rows, int cols) {
        Tensor t = backend.zeros(rows, cols);
        live.add(t);
        return t;
    }

    private float[] random(int n) {
        return Dense64.randomFloats(rnd, n, 1.0);
    }

    static int[][] shapes() {
        return new int[][] {{1, 1}, {1, 7}, {7, 1}, {37, 3}, {3, 41}, {64, 64}, {129, 17}};
    }

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

    // ---- indexing -----------------------------------------------------------------------------------------

    @Test
    void gatherRowsWithRepeatsAndEmpty() {
        float[] sf = random(9 * 5);
        Tensor src = tensor(sf, 9, 5);
        int[] idx = {8, 0, 3, 3, 8, 1};
        Tensor out = zeros(idx.length, 5);
        backend.gatherRows(src, idx, out);
        float[] got = backend.toHost(out);
        for (int i = 0; i < idx.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(sf, idx[i] * 5, idx[i] * 5 + 5), Arrays.copyOfRange(got, i * 5, i * 5 + 5));
        }
        backend.gatherRows(src, new int[0], zeros(0, 5));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.gatherRows(src, new int[] {9}, zeros(1, 5)));
        assertThrows(IndexOutOfBoundsException.class, () -> backend.gatherRows(src, new int[] {-1}, zeros(1, 5)));
    }

    @Test
    void scatterAddRowsAccumulatesRepeatedIndices() {
        float[] df = random(6 * 4);
        float[] sf = random(5 * 4);
        int[] idx = {2, 5, 2, 0, 2};
        Tensor dst = tensor(df, 6, 4);
        backend.scatterAddRows(-0.5f, tensor(sf, 5, 4), idx, dst);
        double[] exp = new double[df.length];
        for (int i = 0; i < df.length; i++) {
            exp[i] = df[i];
        }
        for (int i = 0; i < idx.length; i++) {
            for (int j = 0; j < 4; j++) {
                exp[idx[i] * 4 + j] += -0.5 * sf[i * 4 + j];
            }
        }
        assertClose("scatterAddRows", exp, backend.toHost(dst), 8 * Tolerances.EPS32, 1e-7);
        float[] before = backend.toHost(dst);
        backend.scatterAddRows(1f, zeros(0, 4), new int[0], dst);
        assertArrayEquals(before, backend.toHost(dst), "empty scatter changes nothing");
        assertThrows(IndexOutOfBoundsException.class, () -> backend.scatterAddRows(1f, zeros(1, 4), new int[] {6}, dst));
    }

    @Test
    void gatherElementsAndAddToElements() {
        float[] xf = random(4 * 6);
        Tensor x = tensor(xf, 4, 6);
        int[] cols = {5, 0, 5, 2};
        Tensor out = zeros(4, 1);
        backend.gatherElements(x, cols, out);
        float[] got = backend.toHost(out);
        for (int i = 0; i < 4; i++) {
            assertEquals(xf[i * 6 + cols[i]], got[i]);
        }
        float[] vals = {0.5f, -1f, 2f, 3f};
        backend.addToElements(-2f, tensor(vals, 4, 1), cols, x);
        float[] after = backend.toHost(x);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 6; j++) {
                float e = xf[i * 6 + j] + (j == cols[i] ? -2f * vals[i] : 0f);
                assertEquals(e, after[i * 6 + j], 1e-6f);
            }
        }
        assertThrows(IndexOutOfBoundsException.class,
                () -> backend.addToElements(1f, tensor(vals, 4, 1), new int[] {0, 0, 0, 6}, x));
    }

    @Test
    void copyColumnsMovesBlocks() {
        float[] sf = random(5 * 4);
        float[] df = random(5 * 7);
        Tensor src = tensor(sf, 5, 4);
        Tensor dst = tensor(df, 5, 7);
        backend.copyColumns(src, 1, dst, 4, 3);
        float[] got = backend.toHost(dst);
        for (int i = 0; i < 5; i++) {
            for (int j = 0; j < 7; j++) {
                float e = j >= 4 ? sf[i * 4 + 1 + (j - 4)] : df[i * 7 + j];
                assertEquals(e, got[i * 7 + j], "element " + i + "," + j);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> backend.copyColumns(src, 2, dst, 0, 3));
    }

    @Test
    void reshapeIsAViewInRowMajorOrder() {
        float[] xf = random(6 * 4);
        Tensor x = tensor(xf, 6, 4);
        Tensor r = x.reshape(3, 8);
        assertEquals(3, r.rows());
        assertArrayEquals(xf, backend.toHost(r));
        backend.scale(2f, r);
        float[] after = backend.toHost(x);
        for (int i = 0; i < xf.length; i++) {
            assertEquals(2f * xf[i], after[i]);
        }
        assertThrows(IllegalArgumentException.class, () -> x.reshape(5, 5));
    }

    // ---- softmax and ranking ------------------------------------------------------------------------------

    @Test
    void logSoftmaxRowsIsStableAndNormalised() {
        int r = 6;
        int c = 1001;
        float[] xf = Dense64.randomFloats(rnd, r * c, 10.0);
        for (int j = 0; j < c; j++) {
            xf[c + j] += 1000f; // large values must not overflow
            xf[2 * c + j] -= 1000f;
        }
        Tensor x = tensor(xf, r, c);
        Tensor out = zeros(r, c);
        backend.logSoftmaxRows(x, out);
        double[] exp = new double[r * c];
        for (int i = 0; i < r; i++) {
            double mx = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                mx = Math.max(mx, xf[i * c + j]);
            }
            double s = 0;
            for (int j = 0; j < c; j++) {
                s += Math.exp(xf[i * c + j] - mx);
            }
            double lse = mx + Math.log(s);
            for (int j = 0; j < c; j++) {
                exp[i * c + j] = xf[i * c + j] - lse;
            }
        }
        // error relative to the magnitude of the inputs: |x| up to ~1010 loses ~1e-4 in float32 subtraction
        double[] scale = new double[r * c];
        for (int i = 0; i < scale.length; i++) {
            scale[i] = Math.abs(xf[i]) + Math.abs(exp[i]) + 1;
        }
        assertClose("logSoftmax", exp, backend.toHost(out), scale, 4e-7, 0);
        backend.logSoftmaxRows(x, x);
        assertClose("logSoftmax in place", exp, backend.toHost(x), scale, 4e-7, 0);
    }

    @Test
    void segmentedLogSoftmaxNormalisesEachSegmentAndAddsOffsets() {
        int r = 5;
        int c = 23;
        int[] starts = {0, 1, 7, 15};
        float[] xf = Dense64.randomFloats(rnd, r * c, 5.0);
        xf[3 * c + 10] += 500f; // large values must not overflow
        float[] off = random(r * starts.length);
        Tensor x = tensor(xf, r, c);
        Tensor out = zeros(r, c);
        backend.segmentedLogSoftmax(x, starts, tensor(off, r, starts.length), out);
        double[] exp = new double[r * c];
        for (int i = 0; i < r; i++) {
            for (int g = 0; g < starts.length; g++) {
                int a = starts[g];
                int e = g + 1 < starts.length ? starts[g + 1] : c;
                double mx = Double.NEGATIVE_INFINITY;
                for (int j = a; j < e; j++) {
                    mx = Math.max(mx, xf[i * c + j]);
                }
                double s = 0;
                for (int j = a; j < e; j++) {
                    s += Math.exp(xf[i * c + j] - mx);
                }
                for (int j = a; j < e; j++) {
                    exp[i * c + j] = xf[i * c + j] - mx - Math.log(s) + off[i * starts.length + g];
                }
            }
        }
        double[] scale = new double[r * c];
        for (int i = 0; i < scale.length; i++) {
            scale[i] = Math.abs(xf[i]) + Math.abs(exp[i]) + 1;
        }
        assertClose("segmentedLogSoftmax", exp, backend.toHost(out), scale, 4e-7, 0);
        backend.segmentedLogSoftmax(x, starts, tensor(off, r, starts.length), x);
        assertClose("segmentedLogSoftmax in place", exp, backend.toHost(x), scale, 4e-7, 0);
        assertThrows(IllegalArgumentException.class,
                () -> backend.segmentedLogSoftmax(x, new int[] {0, 5, 5}, zeros(r, 3), out));
    }

    @Test
    void topKRowsOrdersWithTiesToLowerIndexAndNaNLast() {
        float[] xf = {
            1, 5, 3, 5, Float.NaN, 2,
            0, 0, 0, 0, 0, 0,
            Float.NaN, Float.NaN, -1, -2, Float.NaN, -3};
        Tensor x = tensor(xf, 3, 6);
        int[] out = new int[3 * 4];
        backend.topKRows(x, 4, out);
        assertArrayEquals(new int[] {1, 3, 2, 5, 0, 1, 2, 3, 14 - 12, 15 - 12, 17 - 12, 0}, out);
        int r = 40;
        int c = 2000;
        float[] big = random(r * c);
        int[] top = new int[r * 10];
        backend.topKRows(tensor(big, r, c), 10, top);
        for (int i = 0; i < r; i++) {
            final int row = i;
            int[] expected = IntStream.range(0, c).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(j -> -big[row * c + j]).thenComparingInt(j -> j))
                    .limit(10).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, Arrays.copyOfRange(top, i * 10, i * 10 + 10), "row " + i);
        }
    }

    @Test
    void targetRanksCountTiesAgainstTheTarget() {
        float[] xf = {
            1, 5, 3, 5, 2,
            0, 0, 0, 0, 0,
            4, 3, 2, 1, Float.NaN,
            Float.NaN, 1, 2, 3, 4};
        int[] targets = {3, 2, 0, 0};
        int[] ranks = new int[4];
        backend.targetRanks(tensor(xf, 4, 5), targets, ranks);
        assertArrayEquals(new int[] {2, 5, 1, 5}, ranks);
        int r = 20;
        int c = 5000;
        float[] big = random(r * c);
        int[] t = rnd.ints(r, 0, c).toArray();
        int[] got = new int[r];
        backend.targetRanks(tensor(big, r, c), t, got);
        for (int i = 0; i < r; i++) {
            int rank = 1;
            for (int j = 0; j < c; j++) {
                if (j != t[i] && big[i * c + j] >= big[i * c + t[i]]) {
                    rank++;
                }
            }
            assertEquals(rank, got[i], "row " + i);
        }
    }

    // ---- linear algebra -----------------------------------------------------------------------------------

    @Test
    void solveMatchesReference() {
        for (int n : new int[] {1, 5, 64, 200}) {
            int k = n == 200 ? 31 : 3;
            float[] af = random(n * n);
            for (int i = 0; i < n; i++) {
                af[i * n + i] += 4f; // well conditioned
            }
            float[] bf = random(n * k);
            Tensor a = tensor(af, n, n);
            Tensor b = tensor(bf, n, k);
            Tensor x = zeros(n, k);
            backend.solve(a, b, x);
            assertArrayEquals(af, backend.toHost(a), "solve must leave a unchanged");
            assertArrayEquals(bf, backend.toHost(b), "solve must leave b unchanged");
            // normwise backward error in float64, ||A x - b|| / (||A|| ||x|| + ||b||): LU with partial pivoting
            // guarantees about n * eps32 (times a small growth factor)
            Dense64 xs = Dense64.of(backend.toHost(x), n, k);
            Dense64 bd = Dense64.of(bf, n, k);
            Dense64 ad = Dense64.of(af, n, n);
            double backward = ad.times(xs).plus(-1, bd).norm() / (ad.norm() * xs.norm() + bd.norm());
            assertTrue(backward < 4 * n * Tolerances.EPS32, "solve backward error " + backward + " at n=" + n);
        }
    }

    @Test
    void closingTheBackendReleasesItsLiveTensorsAndRefusesFurtherWork() {
        Backend other = createBackend();
        Tensor a = other.zeros(3, 4);
        Tensor view = a.rowRange(1, 2);
        Tensor b = other.zeros(2, 2);
        b.close();
        assertTrue(other.allocatedBytes() != 0, "a is live");
        other.close();
        assertTrue(a.isClosed() && view.isClosed(), "closing the backend closes its tensors and their views");
        if (other.allocatedBytes() >= 0) {
            assertEquals(0, other.allocatedBytes(), "all memory released");
        }
        assertThrows(IllegalStateException.class, () -> other.zeros(1, 1));
        other.close(); // a second close is harmless
    }
}
