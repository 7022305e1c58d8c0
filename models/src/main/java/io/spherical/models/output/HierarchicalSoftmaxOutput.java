package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Two-level hierarchical softmax: {@code p(w) = p(class(w)) p(w | class(w))}, both factors softmaxes, with about
 * sqrt(D) classes. Classes are contiguous ranges of word ids chosen so that each holds a similar total frequency
 * (ids must be sorted by decreasing frequency, as {@code Vocabulary} does, so frequent words share small classes).
 * Probabilities are exact and normalised. A step costs about {@code d (C + |class|)} per example; plain SGD.
 *
 * <p>A step changes the whole class matrix but only the word rows of the classes its targets fall in
 * ({@link SparseUpdate}).
 */
public final class HierarchicalSoftmaxOutput implements OutputLayer, SparseUpdate {
    private final Backend b;
    private final int dIn;
    private final int d;
    private final int classes;
    private final int mMax;
    private final int[] start;       // class c holds ids [start[c], start[c+1])
    private final int[] classOf;
    private final int maxSize;
    private final int[] classStarts;
    private final Tensor wc;         // C x d
    private final Tensor ww;         // D x d
    private final BiasedInput input;
    private final Tensor sc;         // m x C
    private final Tensor grad;       // m x d
    private final Tensor hc;         // gathered rows of one class group
    private final Tensor sw;         // scores of one class group, flat
    private final Tensor dh;         // dL/dH of one group
    private final Tensor vec;
    private final Tensor vecGroup;
    private final Tensor onesRow;
    private final float[] host;
    private final int[] cls;
    private final int[] order;       // example indices sorted by class (counting sort, no boxing)
    private final int[] perClass;
    private final int[][] groupRows; // by group size n: the group's example indices (gather takes its length)
    private final int[][] groupLocal; // by group size n: the targets' positions inside their class
    private final double[] loss;
    private final boolean[] present; // touched(): the classes of the targets, false again after each call

    /**
     * A layer for the given unigram counts (index = word id), with Glorot-uniform weights from {@code seed}.
     *
     * @param counts frequency of every word id, ids in decreasing-frequency order (ties and specials tolerated)
     */
    public HierarchicalSoftmaxOutput(Backend backend, long[] counts, int inputDim, int maxBatch, long seed) {
        this.b = backend;
        this.dIn = inputDim;
        this.d = inputDim + 1;
        this.classes = counts.length;
        this.mMax = maxBatch;
        this.start = frequencyBins(counts);
        int nc = start.length - 1;
        this.classOf = new int[classes];
        int biggest = 0;
        for (int c = 0; c < nc; c++) {
            biggest = Math.max(biggest, start[c + 1] - start[c]);
            for (int i = start[c]; i < start[c + 1]; i++) {
                classOf[i] = c;
            }
        }
        this.maxSize = biggest;
        this.classStarts = java.util.Arrays.copyOf(start, nc);
        this.wc = DenseSphericalOutput.glorot(b, nc, d, seed);
        this.ww = DenseSphericalOutput.glorot(b, classes, d, seed + 1);
        this.input = new BiasedInput(b, mMax, dIn, 1f);
        this.sc = b.zeros(mMax, nc);
        this.grad = b.zeros(mMax, d);
        this.hc = b.zeros(mMax, d);
        this.sw = b.zeros(mMax * maxSize, 1);
        this.dh = b.zeros(mMax, d);
        this.vec = b.zeros(mMax, 1);
        this.vecGroup = b.zeros(mMax, 1);
        this.onesRow = b.zeros(1, Math.max(maxSize, nc));
        b.fill(onesRow, 1f);
        this.host = new float[mMax];
        this.cls = new int[mMax];
        this.order = new int[mMax];
        this.perClass = new int[nc + 1];
        this.groupRows = new int[mMax + 1][];
        this.groupLocal = new int[mMax + 1][];
        for (int n = 0; n <= mMax; n++) {
            groupRows[n] = new int[n];
            groupLocal[n] = new int[n];
        }
        this.loss = new double[mMax];
        this.present = new boolean[nc];
    }

    /**
     * Contiguous id ranges with about equal total frequency: about sqrt(D) of them. Returns the class starts plus D.
     */
    static int[] frequencyBins(long[] counts) {
        int n = counts.length;
        int target = (int) Math.ceil(Math.sqrt(n));
        double total = 0;
        for (long c : counts) {
            total += Math.max(c, 1);
        }
        List<Integer> starts = new ArrayList<>();
        starts.add(0);
        double cum = 0;
        int bin = 0;
        for (int i = 0; i < n; i++) {
            int wanted = (int) Math.min(target - 1, Math.floor(cum * target / total));
            if (wanted > bin && i > starts.get(starts.size() - 1)) {
                starts.add(i);
                bin = wanted;
            }
            cum += Math.max(counts[i], 1);
        }
        starts.add(n);
        return starts.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Number of classes of the first level. */
    public int classCount() {
        return start.length - 1;
    }

    @Override
    public java.util.Map<String, Tensor> state() {
        java.util.Map<String, Tensor> m = new java.util.LinkedHashMap<>();
        m.put("Wclass", wc);
        m.put("Wword", ww);
        return m;
    }

    @Override
    public OutputShape shape() {
        return new OutputShape(dIn, classes, mMax);
    }

    @Override
    public boolean normalised() {
        return true;
    }

    private Tensor load(Tensor h) {
        return input.load(h);
    }

    private Tensor flat(Tensor t, int rows, int cols) {
        return t.rowRange(0, rows * cols).reshape(rows, cols);
    }

    /** Runs the model; with {@code eta} &gt; 0 or a gradient wanted it also back-propagates and updates. */
    private double run(Tensor h, int[] targets, float eta, Tensor gradOut, double[] lossesOut, boolean train) {
        Tensor hv = load(h);
        int m = h.rows();
        int nc = classCount();
        for (int i = 0; i < m; i++) {
            cls[i] = classOf[targets[i]];
        }
        Tensor scv = sc.rowRange(0, m);
        Tensor v = vec.rowRange(0, m);
        Tensor gv = grad.rowRange(0, m);
        // first level
        b.gemm(1f, hv, false, wc, true, 0f, scv);
        b.logSoftmaxRows(scv, scv);
        b.gatherElements(scv, cls, v);
        b.download(v, host);
        for (int i = 0; i < m; i++) {
            loss[i] = -host[i];
        }
        if (train) {
            b.map(UnaryOp.EXP, scv, scv);
            b.fill(v, -1f);
            b.addToElements(1f, v, cls, scv);
            b.scale(1f / m, scv);
            b.gemm(1f, scv, false, wc, false, 0f, gv);
        }
        // second level, one GEMM per class present in the minibatch
        sortByClass(m, nc);
        int p = 0;
        while (p < m) {
            int c = cls[order[p]];
            int q = p;
            while (q < m && cls[order[q]] == c) {
                q++;
            }
            int n = q - p;
            int[] rows = groupRows[n];
            int[] local = groupLocal[n];
            for (int k = 0; k < n; k++) {
                rows[k] = order[p + k];
                local[k] = targets[rows[k]] - start[c];
            }
            int size = start[c + 1] - start[c];
            Tensor hg = hc.rowRange(0, n);
            b.gatherRows(hv, rows, hg);
            Tensor swv = flat(sw, n, size);
            Tensor wb = ww.rowRange(start[c], start[c + 1]);
            b.gemm(1f, hg, false, wb, true, 0f, swv);
            b.logSoftmaxRows(swv, swv);
            Tensor vg = vecGroup.rowRange(0, n);
            b.gatherElements(swv, local, vg);
            b.download(vg, host);
            for (int k = 0; k < n; k++) {
                loss[rows[k]] -= host[k];
            }
            if (train) {
                b.map(UnaryOp.EXP, swv, swv);
                b.fill(vg, -1f);
                b.addToElements(1f, vg, local, swv);
                b.scale(1f / m, swv);
                Tensor dhv = dh.rowRange(0, n);
                b.gemm(1f, swv, false, wb, false, 0f, dhv);
                b.scatterAddRows(1f, dhv, rows, gv);
                b.gemm(-eta, swv, true, hg, false, 1f, wb);
            }
            p = q;
        }
        if (train) {
            b.gemm(-eta, scv, true, hv, false, 1f, wc);
            if (gradOut != null) {
                b.copyColumns(gv, 0, gradOut, 0, dIn);
            }
        }
        double total = 0;
        for (int i = 0; i < m; i++) {
            total += loss[i];
            if (lossesOut != null) {
                lossesOut[i] = loss[i];
            }
        }
        if (!Double.isFinite(total)) {
            throw new DivergenceException("the hierarchical softmax loss is not finite");
        }
        return total / m;
    }

    /** Stable counting sort of the examples 0..m-1 by class into {@link #order} (O(m + C), no allocation). */
    private void sortByClass(int m, int nc) {
        Arrays.fill(perClass, 0);
        for (int i = 0; i < m; i++) {
            perClass[cls[i] + 1]++;
        }
        for (int c = 0; c < nc; c++) {
            perClass[c + 1] += perClass[c];
        }
        for (int i = 0; i < m; i++) {
            order[perClass[cls[i]]++] = i;
        }
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        return run(h, targets, eta, gradOut, null, true);
    }

    /**
     * Wclass: all of it; Wword: at most the rows of the n largest classes (n targets in n distinct classes), every
     * word when n reaches the number of classes.
     */
    @Override
    public RowSets rowSets(int targets) {
        int nc = classCount();
        int[] sizes = new int[nc];
        for (int c = 0; c < nc; c++) {
            sizes[c] = start[c + 1] - start[c];
        }
        Arrays.sort(sizes);
        long words = 0;
        for (int c = nc - 1; c >= Math.max(0, nc - Math.max(0, targets)); c--) {
            words += sizes[c];
        }
        return new RowSets(new long[] {nc, words}, new int[] {0, (int) words});
    }

    /** Wclass: all of it; Wword: the rows of every class some target falls in, in id order. */
    @Override
    public void touched(int[] targets, int count, RowSets out) {
        int nc = classCount();
        for (int i = 0; i < count; i++) {
            present[classOf[targets[i]]] = true;
        }
        long words = 0;
        for (int c = 0; c < nc; c++) {
            words += present[c] ? start[c + 1] - start[c] : 0;
        }
        if (words > out.listCapacity(1)) {
            Arrays.fill(present, false);
            throw new IllegalArgumentException(count + " targets touch " + words + " word rows, the sets hold "
                    + out.listCapacity(1));
        }
        int[] rows = out.buffer(1);
        int n = 0;
        for (int c = 0; c < nc; c++) {
            if (present[c]) {
                present[c] = false;
                for (int k = start[c]; k < start[c + 1]; k++) {
                    rows[n++] = k;
                }
            }
        }
        out.setAll(0);
        out.setRows(1, n);
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        run(h, targets, 0f, null, out, false);
    }

    /**
     * Writes log p(w) for every word, in id order: one GEMM for all word scores, then log-softmax within each class's
     * column range plus that class's log-probability ({@link Backend#segmentedLogSoftmax}).
     */
    @Override
    public void scores(Tensor h, Tensor out) {
        Tensor hv = load(h);
        int m = h.rows();
        Tensor scv = sc.rowRange(0, m);
        b.gemm(1f, hv, false, wc, true, 0f, scv);
        b.logSoftmaxRows(scv, scv);
        b.gemm(1f, hv, false, ww, true, 0f, out);
        b.segmentedLogSoftmax(out, classStarts, scv, out);
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : new Tensor[] {wc, ww, sc, grad, hc, sw, dh, vec, vecGroup, onesRow}) {
            t.close();
        }
    }
}
