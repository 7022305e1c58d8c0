package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.IntStream;

/**
 * Every buffer of a factored step, allocated once at the largest minibatch, with the views for a minibatch of m rows
 * cached per m (so a step allocates nothing). Names follow docs/ALGORITHM.md 5; batch-major, so row i is example i.
 * The {@code m x m} matrices (device and host) exist only for the m x m form of the step ({@link BatchProducts});
 * the d x d form ({@link WidthProducts}) keeps its own d x d buffers and leaves them null here.
 */
final class StepBuffers implements AutoCloseable {
    private final Backend b;
    private final BiasedInput input;
    private final Tensor[] rowsByD;
    private final Tensor[] columns;
    private final Tensor[] squares;
    private final Map<Integer, View> views = new HashMap<>();
    private final int maxBatch;
    private final boolean squaresKept;

    // host copies of the per-example numbers and of the m x m matrices built on the host (empty without them)
    final float[] q;
    final float[] s;
    final float[] a;
    final float[] omegaH;
    final float[] p;
    final float[] r;
    final float[] hh;
    final float[] gram;
    final float[] k;
    final double[] fq;
    final double[] fs;
    final double[] fa;
    final float[] upload;

    /**
     * @param squaresKept whether to allocate the {@code m x m} matrices of the m x m form ({@link BatchProducts}); the
     *                    d x d form ({@link WidthProducts}) needs none
     */
    StepBuffers(Backend backend, int maxBatch, int inputDim, int d, float biasInput, boolean squaresKept) {
        this.b = backend;
        this.maxBatch = maxBatch;
        this.squaresKept = squaresKept;
        input = new BiasedInput(b, maxBatch, inputDim, biasInput);
        rowsByD = new Tensor[8];
        columns = new Tensor[squaresKept ? 11 : 9];             // the last two: Newton-Schulz on K (m x m form)
        squares = new Tensor[squaresKept ? 8 : 0];
        int sq = squaresKept ? maxBatch * maxBatch : 0;
        for (int i = 0; i < rowsByD.length; i++) {
            rowsByD[i] = b.zeros(maxBatch, d);
        }
        for (int i = 0; i < columns.length; i++) {
            columns[i] = b.zeros(maxBatch, 1);
        }
        for (int i = 0; i < squares.length; i++) {
            squares[i] = b.zeros(maxBatch * maxBatch, 1);
        }
        q = new float[maxBatch];
        s = new float[maxBatch];
        a = new float[maxBatch];
        omegaH = new float[maxBatch];
        p = new float[sq];
        r = new float[sq];
        hh = new float[sq];
        gram = new float[sq];
        k = new float[sq];
        fq = new double[maxBatch];
        fs = new double[maxBatch];
        fa = new double[maxBatch];
        upload = new float[Math.max(maxBatch, d)];
    }

    /** The views for a minibatch of m rows (1 &lt;= m &lt;= the largest minibatch). */
    View view(int m) {
        if (m < 1 || m > maxBatch) {
            throw new IllegalArgumentException("minibatch of " + m + " rows; this layer holds 1.." + maxBatch);
        }
        return views.computeIfAbsent(m, View::new);
    }

    /** The input with its bias column, for scoring. */
    BiasedInput input() {
        return input;
    }

    /** The buffers of one minibatch size, by their names in docs/ALGORITHM.md 5. */
    final class View {
        /** H with the bias column (m x d). */
        final Tensor hb;
        /** Rows (U h_i)^T. */
        final Tensor hu;
        /** Rows (Q h_i)^T. */
        final Tensor qh;
        /** The target rows of V. */
        final Tensor vc;
        /** The target rows of W (step 5). */
        final Tensor wc;
        /** Rows fs_i wbar + fa_i W_C[i]. */
        final Tensor z;
        /** dL/dH with the bias column (step 6). */
        final Tensor ghat;
        /** Scratch m x d: H Uinv, then the Woodbury and Q-update products. */
        final Tensor y;
        final Tensor x;
        final Tensor q;
        final Tensor s;
        final Tensor a;
        /** omega . h_i. */
        final Tensor omegaH;
        final Tensor fq;
        final Tensor fq2;
        final Tensor fs;
        final Tensor fa;
        /** A per-example column uploaded for one product (C of Woodbury, the omega and wbar coefficients). */
        final Tensor c;
        /** The group of each example's target (examples with the same target share one), for the d x d form. */
        final int[] groups;
        /** H Q H^T (this and the other m x m matrices: null without them). */
        final Tensor p;
        final Tensor r;
        /** H H^T. */
        final Tensor hh;
        /** M = G G^T. */
        final Tensor gram;
        /** K = I + H H^T C and its inverse. */
        final Tensor k;
        final Tensor kinv;
        final NewtonSchulz.Workspace inverse;

        private View(int m) {
            hb = input.rows(m);
            hu = rowsByD[0].rowRange(0, m);
            qh = rowsByD[1].rowRange(0, m);
            vc = rowsByD[2].rowRange(0, m);
            wc = rowsByD[3].rowRange(0, m);
            z = rowsByD[4].rowRange(0, m);
            ghat = rowsByD[5].rowRange(0, m);
            y = rowsByD[6].rowRange(0, m);
            x = rowsByD[7].rowRange(0, m);
            q = columns[0].rowRange(0, m);
            s = columns[1].rowRange(0, m);
            a = columns[2].rowRange(0, m);
            omegaH = columns[3].rowRange(0, m);
            fq = columns[4].rowRange(0, m);
            fq2 = columns[5].rowRange(0, m);
            fs = columns[6].rowRange(0, m);
            fa = columns[7].rowRange(0, m);
            c = columns[8].rowRange(0, m);
            groups = new int[m];
            p = squaresKept ? square(squares[0], m) : null;
            r = squaresKept ? square(squares[1], m) : null;
            hh = squaresKept ? square(squares[2], m) : null;
            gram = squaresKept ? square(squares[3], m) : null;
            k = squaresKept ? square(squares[4], m) : null;
            kinv = squaresKept ? square(squares[5], m) : null;
            inverse = squaresKept ? new NewtonSchulz.Workspace(square(squares[6], m), square(squares[7], m),
                    columns[9].rowRange(0, m), columns[10].rowRange(0, m), IntStream.range(0, m).toArray()) : null;
        }
    }

    private static Tensor square(Tensor flat, int m) {
        return flat.rowRange(0, m * m).reshape(m, m);
    }

    @Override
    public void close() {
        input.close();
        for (Tensor[] group : new Tensor[][] {rowsByD, columns, squares}) {
            for (Tensor t : group) {
                t.close();
            }
        }
    }
}
