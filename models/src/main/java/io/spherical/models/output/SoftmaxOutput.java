package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Reduction;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;

/**
 * Log-softmax output layer (the usual baseline): {@code p = softmax(W h + bias)}, loss {@code -log p_target}, mean
 * over the minibatch, plain SGD on W (whose last column is the bias, fed by a constant input of 1).
 *
 * <p>Memory: the {@code m x D} scores are processed in blocks of classes when a full buffer would exceed the budget;
 * then a first pass finds each row's log-sum-exp and a second recomputes each block's scores to form the gradient
 * (one extra GEMM, no {@code D x m} buffer). When the whole row fits, one pass does it all.
 */
public final class SoftmaxOutput implements OutputLayer {
    /** Default budget of the score buffer: 256 M floats (1 GiB), so that 200 x 793,471 scores fit in one pass. */
    public static final long DEFAULT_BUDGET = 256L << 20;

    private final Backend b;
    private final int dIn;
    private final int d;
    private final int classes;
    private final int mMax;
    private final int block;
    private final Tensor w;
    private final BiasedInput input;
    private final Tensor s;
    private final Tensor ones;
    private final Tensor grad;
    private final Tensor vec;
    private final Tensor vec2;
    private final float[] host;
    private final float[] host2;
    private final double[] lse;
    private final double[] target;
    private final int[] cols;

    /** A layer with Glorot-uniform weights from {@code seed} and the default score budget. */
    public SoftmaxOutput(Backend backend, int classes, int inputDim, int maxBatch, long seed) {
        this(backend, classes, inputDim, maxBatch, seed, DEFAULT_BUDGET);
    }

    /** A layer whose score buffer holds at most {@code budgetFloats} floats. */
    public SoftmaxOutput(Backend backend, int classes, int inputDim, int maxBatch, long seed, long budgetFloats) {
        this.b = backend;
        this.dIn = inputDim;
        this.d = inputDim + 1;
        this.classes = classes;
        this.mMax = maxBatch;
        this.block = (int) Math.max(1, Math.min(classes, budgetFloats / maxBatch));
        this.w = DenseSphericalOutput.glorot(b, classes, d, seed);
        this.input = new BiasedInput(b, mMax, dIn, 1f);
        this.s = b.zeros(mMax, block);
        this.ones = b.zeros(1, block);
        b.fill(ones, 1f);
        this.grad = b.zeros(mMax, d);
        this.vec = b.zeros(mMax, 1);
        this.vec2 = b.zeros(mMax, 1);
        this.host = new float[mMax];
        this.host2 = new float[mMax];
        this.lse = new double[mMax];
        this.target = new double[mMax];
        this.cols = new int[mMax];
    }

    @Override
    public java.util.Map<String, Tensor> state() {
        return java.util.Map.of("W", w);
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

    /** First pass: lse[i] and the target's score target[i], block by block (online log-sum-exp on the host). */
    private void logSumExp(Tensor hv, int[] targets) {
        int m = hv.rows();
        java.util.Arrays.fill(lse, 0, m, Double.NEGATIVE_INFINITY);
        Tensor v = vec.rowRange(0, m);
        Tensor v2 = vec2.rowRange(0, m);
        for (int r0 = 0; r0 < classes; r0 += block) {
            int r1 = Math.min(classes, r0 + block);
            Tensor sv = s.rowRange(0, m).reshape(m * block, 1).rowRange(0, m * (r1 - r0)).reshape(m, r1 - r0);
            b.gemm(1f, hv, false, w.rowRange(r0, r1), true, 0f, sv);
            for (int i = 0; i < m; i++) {
                cols[i] = (targets[i] >= r0 && targets[i] < r1) ? targets[i] - r0 : 0;
            }
            b.gatherElements(sv, cols, v2);
            b.download(v2, host2);
            b.logSoftmaxRows(sv, sv);
            b.gatherElements(sv, cols, v);
            b.download(v, host);
            for (int i = 0; i < m; i++) {
                double blockLse = host2[i] - (double) host[i];    // score - logsoftmax = this block's lse
                double mx = Math.max(lse[i], blockLse);
                lse[i] = mx + Math.log(Math.exp(lse[i] - mx) + Math.exp(blockLse - mx));
                if (targets[i] >= r0 && targets[i] < r1) {
                    target[i] = host2[i];
                }
            }
        }
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        Tensor hv = load(h);
        logSumExp(hv, targets);
        for (int i = 0; i < h.rows(); i++) {
            out[i] = lse[i] - target[i];
        }
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        Tensor hv = load(h);
        int m = h.rows();
        Tensor gv = grad.rowRange(0, m);
        Tensor v = vec.rowRange(0, m);
        double total = 0;
        if (block == classes) {
            Tensor sv = s.rowRange(0, m);
            b.gemm(1f, hv, false, w, true, 0f, sv);
            b.logSoftmaxRows(sv, sv);
            b.gatherElements(sv, targets, v);
            b.download(v, host);
            for (int i = 0; i < m; i++) {
                total -= host[i];
            }
            b.map(UnaryOp.EXP, sv, sv);                       // softmax
            b.fill(v, -1f);
            b.addToElements(1f, v, targets, sv);              // softmax - onehot
            b.scale(1f / m, sv);
            b.gemm(1f, sv, false, w, false, 0f, gv);           // dL/dH with the old W
            b.gemm(-eta, sv, true, hv, false, 1f, w);
        } else {
            logSumExp(hv, targets);
            for (int i = 0; i < m; i++) {
                total += lse[i] - target[i];
                host[i] = (float) -lse[i];
            }
            Tensor negLse = vec2.rowRange(0, m);
            b.upload(host, negLse);
            b.fill(gv, 0f);
            for (int r0 = 0; r0 < classes; r0 += block) {
                int r1 = Math.min(classes, r0 + block);
                int n = r1 - r0;
                Tensor sv = s.rowRange(0, m).reshape(m * block, 1).rowRange(0, m * n).reshape(m, n);
                Tensor wb = w.rowRange(r0, r1);
                b.gemm(1f, hv, false, wb, true, 0f, sv);
                b.gemm(1f, negLse, false, ones.reshape(block, 1).rowRange(0, n).reshape(1, n), false, 1f, sv);
                b.map(UnaryOp.EXP, sv, sv);                   // softmax restricted to the block
                for (int i = 0; i < m; i++) {
                    boolean in = targets[i] >= r0 && targets[i] < r1;
                    cols[i] = in ? targets[i] - r0 : 0;
                    host[i] = in ? -1f : 0f;
                }
                b.upload(host, v);
                b.addToElements(1f, v, cols, sv);
                b.scale(1f / m, sv);
                b.gemm(1f, sv, false, wb, false, 1f, gv);
                b.gemm(-eta, sv, true, hv, false, 1f, wb);
            }
        }
        if (gradOut != null) {
            b.copyColumns(gv, 0, gradOut, 0, dIn);
        }
        double mean = total / m;
        if (!Double.isFinite(mean)) {
            throw new DivergenceException("the log-softmax loss is not finite");
        }
        return mean;
    }

    @Override
    public void scores(Tensor h, Tensor out) {
        Tensor hv = load(h);
        b.gemm(1f, hv, false, w, true, 0f, out);
    }

    @Override
    public void close() {
        input.close();
        for (Tensor t : new Tensor[] {w, s, ones, grad, vec, vec2}) {
            t.close();
        }
    }
}
