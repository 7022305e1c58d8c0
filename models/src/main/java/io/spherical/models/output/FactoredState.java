package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The state of the factored layer (docs/ALGORITHM.md 4): {@code W = V U + 1 omega^T} with V ({@code D x d}), U and
 * its plain inverse Uinv ({@code d x d}), omega ({@code 1 x d}), and the kept {@code Q = W^T W} and
 * {@code wbar = W^T 1}. It knows how to fold U and omega back into V and how to show W; the update lives in
 * {@link FactoredSphericalOutput}.
 */
final class FactoredState implements AutoCloseable {
    /** Rows of V processed at once by the O(D d^2) passes, so that their scratch stays small. */
    static final int BLOCK = 8192;

    final Tensor v;
    final Tensor u;
    final Tensor uinv;
    final Tensor omega;
    final Tensor q;
    final Tensor wbar;
    /** omega and wbar read as d x 1 columns (views): H times them is a plain GEMV, not a transposed-vector GEMM. */
    final Tensor omegaColumn;
    final Tensor wbarColumn;
    private final Backend b;
    private final int classes;
    private final int d;

    /** Takes ownership of {@code v0} ({@code D x d}) as V, with U = Uinv = I, omega = 0 and exact Q and wbar. */
    FactoredState(Backend backend, Tensor v0) {
        this.b = backend;
        this.classes = v0.rows();
        this.d = v0.cols();
        v = v0;
        u = b.zeros(d, d);
        uinv = b.zeros(d, d);
        omega = b.zeros(1, d);
        q = b.zeros(d, d);
        wbar = b.zeros(1, d);
        omegaColumn = omega.reshape(d, 1);
        wbarColumn = wbar.reshape(d, 1);
        identity(u);
        identity(uinv);
        recomputeGram();
    }

    /** The named arrays a checkpoint saves and restores. */
    Map<String, Tensor> arrays() {
        Map<String, Tensor> m = new LinkedHashMap<>();
        m.put("V", v);
        m.put("U", u);
        m.put("Uinv", uinv);
        m.put("omega", omega);
        m.put("Q", q);
        m.put("wbar", wbar);
        return m;
    }

    void identity(Tensor t) {
        float[] eye = new float[t.rows() * t.cols()];
        for (int i = 0; i < Math.min(t.rows(), t.cols()); i++) {
            eye[i * t.cols() + i] = 1f;
        }
        b.upload(eye, t);
    }

    /** Q = V^T V and wbar = V^T 1, exact; valid when U = I and omega = 0 (at start and after unfactorising). */
    private void recomputeGram() {
        b.gemm(1f, v, true, v, false, 0f, q);
        b.reduceColumns(Reduction.SUM, v, wbar);
    }

    /**
     * Folds U and omega into V ({@code V <- V U + 1 omega^T}, in blocks of rows), resets U, U^-1 to I and omega to 0,
     * and recomputes Q and wbar exactly. O(D d^2).
     */
    void unfactorise() {
        int block = Math.min(BLOCK, classes);
        try (Tensor tmp = b.zeros(block, d)) {
            for (int r0 = 0; r0 < classes; r0 += block) {
                int r1 = Math.min(classes, r0 + block);
                Tensor vb = v.rowRange(r0, r1);
                Tensor tb = tmp.rowRange(0, r1 - r0);
                b.gemm(1f, vb, false, u, false, 0f, tb);
                b.addRowVector(1f, omega, tb);
                b.copy(tb, vb);
            }
        }
        identity(u);
        identity(uinv);
        b.fill(omega, 0f);
        recomputeGram();
    }

    /** W = V U + 1 omega^T on the host ({@code D x d}, row-major). O(D d^2); for tests and inspection. */
    float[] weights() {
        float[] out = new float[Math.toIntExact((long) classes * d)];
        int block = Math.min(BLOCK, classes);
        float[] part = new float[block * d];
        try (Tensor tmp = b.zeros(block, d)) {
            for (int r0 = 0; r0 < classes; r0 += block) {
                int r1 = Math.min(classes, r0 + block);
                Tensor tb = tmp.rowRange(0, r1 - r0);
                b.gemm(1f, v.rowRange(r0, r1), false, u, false, 0f, tb);
                b.addRowVector(1f, omega, tb);
                b.download(tb, part);
                System.arraycopy(part, 0, out, r0 * d, (r1 - r0) * d);
            }
        }
        return out;
    }

    /** ||U Uinv - I||_F: how far the kept inverse has drifted. */
    double inverseError() {
        try (Tensor prod = b.zeros(d, d)) {
            b.gemm(1f, u, false, uinv, false, 0f, prod);
            float[] p = b.toHost(prod);
            double s = 0;
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    double e = p[i * d + j] - (i == j ? 1 : 0);
                    s += e * e;
                }
            }
            return Math.sqrt(s);
        }
    }

    @Override
    public void close() {
        for (Tensor t : new Tensor[] {v, u, uinv, omega, q, wbar}) {
            t.close();
        }
    }
}
