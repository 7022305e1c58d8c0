package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import io.spherical.api.UserException;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Adaptive softmax (Grave et al. 2017; PyTorch's {@code AdaptiveLogSoftmaxWithLoss}): a head softmax over the most
 * frequent words {@code [0, c_1)} plus one token per tail cluster, and per tail cluster {@code [c_i, c_{i+1})} a
 * projection of the input to a reduced width ({@code d/4}, {@code d/16}, ...) followed by a softmax over the
 * cluster's words. {@code log p(y) = head(y)} for a head word, {@code head(cluster of y) + tail(y)} otherwise: exact,
 * normalised probabilities. Ids must be sorted by decreasing frequency (as {@code Vocabulary} does).
 *
 * <p>A step costs one head GEMM for the minibatch plus, for each cluster that holds some targets, GEMMs over only
 * those examples' rows: {@code O(m (c_1 + n) d + sum_i r_i (d d_i + |cluster_i| d_i))}. Plain SGD on every matrix;
 * the head has the bias column (the input's constant 1), the tails do not need one.
 *
 * <p>A step changes the head, and the projection and tail of only the clusters its targets fall in
 * ({@link SparseUpdate}).
 */
public final class AdaptiveSoftmaxOutput implements OutputLayer, SparseUpdate {
    private final Backend b;
    private final int dIn;
    private final int classes;
    private final int mMax;
    private final int[] start;
    private final int[] end;
    private final int[] widths;
    private final int shortlist;
    private final BiasedInput input;
    private final Tensor head;
    private final Tensor[] proj;
    private final Tensor[] out;
    private final Tensor headScores;
    private final Tensor dh;
    private final Tensor xs;
    private final Tensor dxs;
    private final Tensor zs;
    private final Tensor dzs;
    private final Tensor tail;
    private final Tensor vec;
    private final Tensor ones;
    private final int[] headTarget;
    private final int[][] rowsOf;
    private final int[] count;
    private final int[] local;
    private final int[][][] exact;
    private final float[] host;
    private final double[] perRow;
    private final boolean[] hit;

    /**
     * A layer with Glorot-uniform weights from {@code seed}.
     *
     * @param cutoffs the first word of each tail cluster, increasing, in [1, classes)
     */
    public AdaptiveSoftmaxOutput(Backend backend, int classes, int inputDim, int maxBatch, int[] cutoffs, long seed) {
        check(cutoffs, classes);
        this.b = backend;
        this.dIn = inputDim;
        this.classes = classes;
        this.mMax = maxBatch;
        int n = cutoffs.length;
        this.start = cutoffs.clone();
        this.end = new int[n];
        this.widths = new int[n];
        for (int c = 0; c < n; c++) {
            end[c] = c + 1 < n ? cutoffs[c + 1] : classes;
            widths[c] = width(inputDim, c);
        }
        this.shortlist = cutoffs[0];
        this.input = new BiasedInput(b, maxBatch, inputDim, 1f);
        int d = input.width();
        this.head = DenseSphericalOutput.glorot(b, shortlist + n, d, seed);
        this.proj = new Tensor[n];
        this.out = new Tensor[n];
        int widest = 1;
        int largest = 1;
        for (int c = 0; c < n; c++) {
            proj[c] = DenseSphericalOutput.glorot(b, widths[c], d, seed + 1 + c);
            out[c] = DenseSphericalOutput.glorot(b, end[c] - start[c], widths[c], seed + 101 + c);
            widest = Math.max(widest, widths[c]);
            largest = Math.max(largest, end[c] - start[c]);
        }
        this.headScores = b.zeros(maxBatch, shortlist + n);
        this.dh = b.zeros(maxBatch, d);
        this.xs = b.zeros(maxBatch, d);
        this.dxs = b.zeros(maxBatch, d);
        this.zs = b.zeros(maxBatch, widest);
        this.dzs = b.zeros(maxBatch, widest);
        this.tail = b.zeros(maxBatch, largest);
        this.vec = b.zeros(maxBatch, 1);
        this.ones = b.zeros(1, largest);
        b.fill(ones, 1f);
        this.headTarget = new int[maxBatch];
        this.rowsOf = new int[n][maxBatch];
        this.count = new int[n];
        this.local = new int[maxBatch];
        this.exact = new int[n][maxBatch + 1][];
        this.host = new float[maxBatch];
        this.perRow = new double[maxBatch];
        this.hit = new boolean[n];
    }

    /** The reduced width of tail cluster c: d/4, d/16, ... (at least 1). */
    private static int width(int inputDim, int c) {
        return (int) Math.max(1, inputDim / Math.pow(4, c + 1));
    }

    /** The floats of the parameters of a layer of these sizes (head, projections, tails), for memory estimates. */
    public static long parameterFloats(int classes, int inputDim, int[] cutoffs) {
        long d = inputDim + 1L;
        long n = (cutoffs[0] + (long) cutoffs.length) * d;
        for (int c = 0; c < cutoffs.length; c++) {
            long size = Math.max(0, (c + 1 < cutoffs.length ? cutoffs[c + 1] : classes) - (long) cutoffs[c]);
            n += width(inputDim, c) * d + size * width(inputDim, c);
        }
        return n;
    }

    /** PyTorch's examples: 2000, 10000 for a vocabulary up to 50,000 words, else 20000, 200000; only those below D. */
    public static int[] defaultCutoffs(int classes) {
        int[] wanted = classes > 50_000 ? new int[] {20_000, 200_000} : new int[] {2_000, 10_000};
        int[] kept = Arrays.stream(wanted).filter(c -> c < classes).toArray();
        return kept.length > 0 ? kept : new int[] {Math.max(1, classes / 2)};
    }

    /**
     * Refuses cutoffs that are not increasing within [1, classes); {@code classes} is {@code Integer.MAX_VALUE} while
     * the vocabulary size is not known yet (a configuration being built).
     */
    public static void check(int[] cutoffs, int classes) {
        boolean ok = cutoffs.length > 0 && cutoffs[0] >= 1 && cutoffs[cutoffs.length - 1] < classes;
        for (int c = 1; c < cutoffs.length && ok; c++) {
            ok = cutoffs[c] > cutoffs[c - 1];
        }
        if (!ok) {
            throw new UserException("--cutoffs must be increasing word ranks " + (classes == Integer.MAX_VALUE ? ">= 1"
                    : "in [1, " + classes + ") (the vocabulary size)") + ", got " + Arrays.toString(cutoffs)
                    + ". Fix: for example --cutoffs 2000,10000.");
        }
    }

    @Override
    public OutputShape shape() {
        return new OutputShape(dIn, classes, mMax);
    }

    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public Map<String, Tensor> state() {
        Map<String, Tensor> s = new LinkedHashMap<>();
        s.put("head", head);
        for (int c = 0; c < proj.length; c++) {
            s.put("proj" + (c + 1), proj[c]);
            s.put("tail" + (c + 1), out[c]);
        }
        return s;
    }

    /** Every tensor may change as a whole (the head always, a cluster's two when a target falls in it). */
    @Override
    public RowSets rowSets(int targets) {
        long[] rows = new long[1 + 2 * proj.length];
        rows[0] = head.rows();
        for (int c = 0; c < proj.length; c++) {
            rows[1 + 2 * c] = proj[c].rows();
            rows[2 + 2 * c] = out[c].rows();
        }
        return new RowSets(rows, new int[rows.length]);
    }

    /** The head; the projection and tail of each cluster that holds one of the targets; nothing of the others. */
    @Override
    public void touched(int[] targets, int count, RowSets sets) {
        Arrays.fill(hit, false);
        for (int i = 0; i < count; i++) {
            int c = clusterOf(targets[i]);
            if (c >= 0) {
                hit[c] = true;
            }
        }
        sets.setAll(0);
        for (int c = 0; c < proj.length; c++) {
            if (hit[c]) {
                sets.setAll(1 + 2 * c);
                sets.setAll(2 + 2 * c);
            } else {
                sets.setNone(1 + 2 * c);
                sets.setNone(2 + 2 * c);
            }
        }
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int m = h.rows();
        run(input.load(h), targets, m, eta, gradOut);
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += perRow[i];
        }
        double mean = total / m;
        if (!Double.isFinite(mean)) {
            throw new DivergenceException("the adaptive softmax loss is not finite");
        }
        return mean;
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] losses) {
        int m = h.rows();
        run(input.load(h), targets, m, Float.NaN, null);
        System.arraycopy(perRow, 0, losses, 0, m);
    }

    /** Per-example losses into {@link #perRow}; with a finite eta also dL/dH and the SGD step. */
    private void run(Tensor hv, int[] targets, int m, float eta, Tensor gradOut) {
        boolean train = !Float.isNaN(eta);
        Arrays.fill(count, 0);
        for (int i = 0; i < m; i++) {
            int c = clusterOf(targets[i]);
            headTarget[i] = c < 0 ? targets[i] : shortlist + c;
            if (c >= 0) {
                rowsOf[c][count[c]++] = i;
            }
        }
        Tensor hs = headScores.rowRange(0, m);
        Tensor dhv = dh.rowRange(0, m);
        b.gemm(1f, hv, false, head, true, 0f, hs);
        logProbabilities(hs, headTarget, m, null, train, m);
        if (train) {
            b.gemm(1f, hs, false, head, false, 0f, dhv);            // dL/dH through the head, with the old head
        }
        for (int c = 0; c < proj.length; c++) {
            int r = count[c];
            if (r == 0) {
                continue;
            }
            int[] idx = rows(c, r);
            for (int j = 0; j < r; j++) {
                local[j] = targets[idx[j]] - start[c];
            }
            Tensor x = view(xs, r, xs.cols());
            Tensor z = view(zs, r, widths[c]);
            Tensor t = view(tail, r, end[c] - start[c]);
            b.gatherRows(hv, idx, x);
            b.gemm(1f, x, false, proj[c], true, 0f, z);
            b.gemm(1f, z, false, out[c], true, 0f, t);
            logProbabilities(t, local, r, idx, train, m);
            if (train) {
                Tensor dz = view(dzs, r, widths[c]);
                Tensor dx = view(dxs, r, dxs.cols());
                b.gemm(1f, t, false, out[c], false, 0f, dz);        // with the old tail weights
                b.gemm(1f, dz, false, proj[c], false, 0f, dx);      // with the old projection
                b.scatterAddRows(1f, dx, idx, dhv);
                b.gemm(-eta, t, true, z, false, 1f, out[c]);
                b.gemm(-eta, dz, true, x, false, 1f, proj[c]);
            }
        }
        if (train) {
            if (gradOut != null) {
                b.copyColumns(dhv, 0, gradOut, 0, dIn);
            }
            b.gemm(-eta, hs, true, hv, false, 1f, head);
        }
    }

    /**
     * Log-softmax of the rows of {@code s} in place; adds each row's -log p of its target to {@link #perRow} (at
     * {@code rows[j]}, or at j itself when rows is null, which also resets it); when training, leaves
     * {@code (softmax - onehot) / m} in {@code s}, m being the minibatch size (the loss is the minibatch mean).
     */
    private void logProbabilities(Tensor s, int[] target, int r, int[] rows, boolean train, int m) {
        Tensor v = vec.rowRange(0, r);
        b.logSoftmaxRows(s, s);
        b.gatherElements(s, target, v);
        b.download(v, host);
        for (int j = 0; j < r; j++) {
            if (rows == null) {
                perRow[j] = -host[j];
            } else {
                perRow[rows[j]] -= host[j];
            }
        }
        if (train) {
            b.map(UnaryOp.EXP, s, s);
            b.fill(v, -1f);
            b.addToElements(1f, v, target, s);
            b.scale(1f / m, s);
        }
    }

    @Override
    public void scores(Tensor h, Tensor outScores) {
        int m = h.rows();
        Tensor hv = input.load(h);
        Tensor hs = headScores.rowRange(0, m);
        Tensor v = vec.rowRange(0, m);
        b.gemm(1f, hv, false, head, true, 0f, hs);
        b.logSoftmaxRows(hs, hs);
        b.copyColumns(hs, 0, outScores, 0, shortlist);
        for (int c = 0; c < proj.length; c++) {
            int size = end[c] - start[c];
            Tensor z = view(zs, m, widths[c]);
            Tensor t = view(tail, m, size);
            b.gemm(1f, hv, false, proj[c], true, 0f, z);
            b.gemm(1f, z, false, out[c], true, 0f, t);
            b.logSoftmaxRows(t, t);
            b.copyColumns(hs, shortlist + c, v, 0, 1);
            b.gemm(1f, v, false, view(ones, 1, size), false, 1f, t);  // plus the cluster's head log-probability
            b.copyColumns(t, 0, outScores, start[c], size);
        }
    }

    private int clusterOf(int y) {
        for (int c = start.length - 1; c >= 0; c--) {
            if (y >= start[c]) {
                return c;
            }
        }
        return -1;
    }

    /** The first r rows of cluster c as an array of exactly r (gather and scatter take their length as the count). */
    private int[] rows(int c, int r) {
        int[] a = exact[c][r];
        if (a == null) {
            a = new int[r];
            exact[c][r] = a;
        }
        System.arraycopy(rowsOf[c], 0, a, 0, r);
        return a;
    }

    /** The first rows x cols elements of a buffer as a rows x cols matrix. */
    private static Tensor view(Tensor buffer, int rows, int cols) {
        return buffer.reshape(buffer.rows() * buffer.cols(), 1).rowRange(0, rows * cols).reshape(rows, cols);
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : new Tensor[] {head, headScores, dh, xs, dxs, zs, dzs, tail, vec, ones}) {
            t.close();
        }
        for (int c = 0; c < proj.length; c++) {
            proj[c].close();
            out[c].close();
        }
    }
}
