package io.spherical.models.output;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UnaryOp;
import java.util.Arrays;
import java.util.Map;

/**
 * Sampled softmax (Jean et al. 2015; the One Billion Word models of Jozefowicz et al. 2016): each step trains every
 * example's target against K negative classes shared by the minibatch, drawn from the log-uniform proposal of
 * {@link LogUniformSampler}, with the logQ correction (every logit minus the log of its class's expected count) and
 * accidental hits (a sampled class that is the example's own target) removed. Evaluation is the exact full softmax of
 * the same weights, so perplexity and top-k compare directly with {@link SoftmaxOutput}.
 *
 * <p>A step: gather the K sampled rows and the m target rows of W (bias as the last column), one GEMM for the
 * {@code m x K} scores and a row dot for the targets' scores, log-softmax over the {@code 1 + K} candidates, one GEMM
 * for dL/dH and one for the sampled rows' gradient, and a scatter-add of both gradients into W. Cost
 * {@code O(m K d)}, independent of D. The sampler's state is the step counter, so resumed runs draw the same classes.
 *
 * <p>The rows a step changes are the K negatives' and the targets' ({@link SparseUpdate}): {@link #touched} draws the
 * next step's negatives from the counter, and that step uses them instead of drawing again.
 */
public final class SampledSoftmaxOutput implements OutputLayer, SparseUpdate {
    /** Added to an accidental hit's logit: its probability becomes exactly 0. */
    private static final float REMOVED = -1e30f;
    /** Score budget of the exact softmax used for evaluation (16 M floats, 64 MiB). */
    public static final long EVAL_BUDGET = 16L << 20;

    private final Backend b;
    private final SoftmaxOutput exact;
    private final Tensor w;
    private final int dIn;
    private final int samples;
    private final boolean correct;
    private final long seed;
    private final LogUniformSampler sampler;
    private final BiasedInput input;
    private final int[] candidates;
    private final int[] position;
    private final int[] firstColumn;
    private final int[] hitColumn;
    private final float[] rowCorrection;
    private final float[] host;
    private final Tensor sampledRows;
    private final Tensor targetRows;
    private final Tensor scores;
    private final Tensor logits;
    private final Tensor column;
    private final Tensor vec;
    private final Tensor correction;
    private final Tensor grad;
    private long steps;
    private long tries;
    private long drawnFor = -1;

    /**
     * A layer of {@code classes} outputs over inputs of width {@code inputDim}, with the weights {@link SoftmaxOutput}
     * would start from with the same seed.
     *
     * @param samples K, the negatives per step (at most {@code classes}; all classes means the exact softmax)
     * @param correct whether logits are corrected by the log of their expected count (off only in tests)
     */
    public SampledSoftmaxOutput(Backend backend, int classes, int inputDim, int maxBatch, long seed, int samples,
                                boolean correct) {
        if (samples < 1 || samples > classes) {
            throw new IllegalArgumentException("samples must be in [1, " + classes + "], got " + samples);
        }
        this.b = backend;
        this.exact = new SoftmaxOutput(backend, classes, inputDim, maxBatch, seed, EVAL_BUDGET);
        this.w = exact.state().get("W");
        this.dIn = inputDim;
        this.samples = samples;
        this.correct = correct;
        this.seed = seed;
        this.sampler = new LogUniformSampler(classes);
        this.input = new BiasedInput(b, maxBatch, inputDim, 1f);
        int d = input.width();
        this.candidates = new int[samples];
        this.position = new int[classes];
        Arrays.fill(position, -1);
        this.firstColumn = new int[maxBatch];
        this.hitColumn = new int[maxBatch];
        this.rowCorrection = new float[samples + 1];
        this.host = new float[maxBatch];
        this.sampledRows = b.zeros(samples, d);
        this.targetRows = b.zeros(maxBatch, d);
        this.scores = b.zeros(maxBatch, samples);
        this.logits = b.zeros(maxBatch, samples + 1);
        this.column = b.zeros(maxBatch, 1);
        this.vec = b.zeros(maxBatch, 1);
        this.correction = b.zeros(1, samples + 1);
        this.grad = b.zeros(maxBatch, d);
    }

    /** The default K for D classes: D / 32 within [512, 8192] (8192 at the One Billion Word vocabulary), at most D. */
    public static int defaultSamples(int classes) {
        return Math.min(classes, Math.max(512, Math.min(8192, classes / 32)));
    }

    @Override
    public OutputShape shape() {
        return exact.shape();
    }

    @Override
    public boolean normalised() {
        return true;
    }

    @Override
    public Map<String, Tensor> state() {
        return exact.state();
    }

    @Override
    public long counter() {
        return steps;
    }

    @Override
    public void restoreCounter(long s) {
        steps = s;
    }

    /** The classes the last step sampled (for tests). */
    int[] lastCandidates() {
        return candidates.clone();
    }

    /** The proposal's draws behind the last step's candidates (for tests). */
    long lastTries() {
        return tries;
    }

    /** log of the expected count of class k in the last step (0 when uncorrected or when every class was taken). */
    double logExpectedCount(int k) {
        return correct ? sampler.logExpectedCount(k, tries) : 0;
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int m = h.rows();
        Tensor hv = input.load(h);
        drawNegatives();
        steps++;
        Tensor lv = logits.rowRange(0, m);
        Tensor sv = scores.rowRange(0, m);
        Tensor tv = targetRows.rowRange(0, m);
        Tensor cv = column.rowRange(0, m);
        Tensor vv = vec.rowRange(0, m);
        Tensor gv = grad.rowRange(0, m);
        b.gatherRows(w, candidates, sampledRows);
        b.gatherRows(w, targets, tv);
        b.gemm(1f, hv, false, sampledRows, true, 0f, sv);            // m x K sampled scores
        b.rowDot(hv, tv, cv);                                        // the targets' scores
        b.copyColumns(cv, 0, lv, 0, 1);
        b.copyColumns(sv, 0, lv, 1, samples);
        correctAndRemoveHits(lv, vv, targets, m);
        b.logSoftmaxRows(lv, lv);
        b.gatherElements(lv, firstColumn, vv);
        b.download(vv, host);
        double total = 0;
        for (int i = 0; i < m; i++) {
            total -= host[i];
        }
        b.map(UnaryOp.EXP, lv, lv);                                  // probabilities over the candidates
        b.fill(vv, -1f);
        b.addToElements(1f, vv, firstColumn, lv);                    // minus the one-hot of the target
        b.scale(1f / m, lv);
        b.copyColumns(lv, 0, cv, 0, 1);                              // dL/d(target score)
        b.copyColumns(lv, 1, sv, 0, samples);                        // dL/d(sampled scores)
        b.gemm(1f, sv, false, sampledRows, false, 0f, gv);           // dL/dH with the old W
        b.scaleRows(tv, cv, tv);
        b.axpy(1f, tv, gv);
        if (gradOut != null) {
            b.copyColumns(gv, 0, gradOut, 0, dIn);
        }
        b.gemm(1f, sv, true, hv, false, 0f, sampledRows);            // K x d gradient of the sampled rows
        b.scaleRows(hv, cv, tv);                                     // m x d gradient of the target rows
        b.scatterAddRows(-eta, sampledRows, candidates, w);
        b.scatterAddRows(-eta, tv, targets, w);
        double mean = total / m;
        if (!Double.isFinite(mean)) {
            throw new DivergenceException("the sampled softmax loss is not finite");
        }
        return mean;
    }

    /**
     * The negatives of the step at the current counter into {@link #candidates} (and their draws into {@link #tries}),
     * unless they are there already: {@link #touched} and the step that follows it draw once between them.
     */
    private void drawNegatives() {
        if (drawnFor != steps) {
            sampler.seed(seed, steps);
            tries = sampler.distinct(candidates);
            drawnFor = steps;
        }
    }

    /** W alone: at most K + n rows (every row when K + n reaches D). */
    @Override
    public RowSets rowSets(int targets) {
        int n = (int) Math.min(position.length, (long) samples + Math.max(0, targets));
        return new RowSets(new long[] {n}, new int[] {n});
    }

    /** The rows of the next step's K negatives and of the targets, sorted. */
    @Override
    public void touched(int[] targets, int count, RowSets out) {
        if (out.listCapacity(0) < Math.min(position.length, (long) samples + count)) {
            throw new IllegalArgumentException(count + " targets for sets made for "
                    + (out.listCapacity(0) - samples));
        }
        drawNegatives();
        int[] rows = out.buffer(0);
        int n = 0;
        for (int j = 0; j < samples + count; j++) {           // position[] is -1 everywhere between steps
            int k = j < samples ? candidates[j] : targets[j - samples];
            if (position[k] < 0) {
                position[k] = 0;
                rows[n++] = k;
            }
        }
        for (int j = 0; j < n; j++) {
            position[rows[j]] = -1;
        }
        Arrays.sort(rows, 0, n);
        out.setRows(0, n);
    }

    /** Subtracts each candidate's log expected count and removes every example's accidental hit. */
    private void correctAndRemoveHits(Tensor lv, Tensor vv, int[] targets, int m) {
        for (int j = 0; j < samples; j++) {
            rowCorrection[1 + j] = (float) -logExpectedCount(candidates[j]);
            position[candidates[j]] = j;
        }
        b.upload(rowCorrection, correction);
        b.addRowVector(1f, correction, lv);
        boolean anyHit = false;
        for (int i = 0; i < m; i++) {
            host[i] = (float) -logExpectedCount(targets[i]);
        }
        b.upload(host, vv);
        b.addToElements(1f, vv, firstColumn, lv);
        for (int i = 0; i < m; i++) {
            int j = position[targets[i]];
            hitColumn[i] = j < 0 ? 0 : 1 + j;
            host[i] = j < 0 ? 0f : REMOVED;
            anyHit |= j >= 0;
        }
        for (int j = 0; j < samples; j++) {
            position[candidates[j]] = -1;
        }
        if (anyHit) {
            b.upload(host, vv);
            b.addToElements(1f, vv, hitColumn, lv);
        }
    }

    @Override
    public void losses(Tensor h, int[] targets, double[] out) {
        exact.losses(h, targets, out);
    }

    @Override
    public void scores(Tensor h, Tensor out) {
        exact.scores(h, out);
    }

    @Override
    public void close() {
        exact.close();
        input.close();
        for (Tensor t : new Tensor[] {sampledRows, targetRows, scores, logits, column, vec, correction, grad}) {
            t.close();
        }
    }
}
