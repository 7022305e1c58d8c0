package io.spherical.testkit;

import static io.spherical.testkit.Tolerances.assertClose;
import static io.spherical.testkit.Tolerances.dotRtol;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The contract every {@link Backend} must pass: each operation checked against a float64 reference on random inputs
 * of awkward shapes (1x1, tall, wide, transposed operands, empty and repeated index vectors, NaN where it matters).
 *
 * <p>A backend module runs it by extending this class (which inherits the creation, BLAS, element-wise and
 * reduction tests of {@link DenseOpsContract}) and implementing {@link #createBackend()}. Tolerances are
 * stated per test: elementwise ops within 2 ulp-scale relative error, dot products within
 * {@link Tolerances#dotRtol(int)} of the sum of absolute products.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class BackendContract extends DenseOpsContract {

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
