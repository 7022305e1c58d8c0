package io.spherical.models.parallel;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Tensor;
import io.spherical.models.layers.DenseLayer;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.output.SparseUpdate;
import java.util.ArrayList;
import java.util.List;

/**
 * One synchronous data-parallel training step of a {@link NgramLanguageModel} on N workers, each holding m examples of
 * a global minibatch of N m (rank r holds rows r m .. r m + m - 1), giving the update one process would make with the
 * whole minibatch:
 * <ul>
 *   <li><b>factored output layer</b>: every worker's last hidden rows (m x d floats) and targets (m ints) are
 *       all-gathered and every worker takes the output layer's step on the global minibatch: the exact global update
 *       at a cost that does not grow with D; the traffic is N m (d + 1) numbers per step whatever the vocabulary,
 *       where a dense all-reduce moves D d. Its gradient rows of this worker go down the network;</li>
 *   <li><b>every other output layer</b> (its cost grows with D anyway): the ordinary way, each worker steps on its
 *       own rows and the parameters' moves are summed: over the rows the global minibatch's step may change for the
 *       layers that report them (sampled, hierarchical, adaptive softmax: {@link RowExchange}), in a dense all-reduce
 *       for the others (log-softmax, the dense spherical layer: {@link OutputAllReduce});</li>
 *   <li><b>hidden layers</b>: gradients of the local rows (already divided by N m), summed over workers in one
 *       bucketed all-reduce, then the optimizer's update;</li>
 *   <li><b>embeddings</b>: every worker's gradient rows and word ids are all-gathered and every worker applies all of
 *       them, in rank order (the order one process would use).</li>
 * </ul>
 * Every worker ends the step with the same parameters bit for bit: the gathered data and the all-reduced sums are the
 * same bits everywhere and the rest is deterministic. The model must be built with a maximum batch of
 * {@link #modelBatch}.
 */
public final class DataParallelStep implements AutoCloseable {
    /** Steps between two checks that the replicas are identical ({@link #checkReplicas()}), as the trainer runs them. */
    public static final int CHECK_EVERY = 1000;
    /** The output layer's step counter's name in the host state that {@link #checkReplicas(HostState)} compares. */
    private static final String OUTPUT_COUNTER = "output.counter";

    private final NgramLanguageModel model;
    private final Collective group;
    private final Backend b;
    private final int m;
    private final int total;
    private final float[] top;
    private final float[] topAll;
    private final int[] targetsAll;
    private final float[] emb;
    private final float[] embAll;
    private final int[] idsAll;
    private final float[] bucket;
    private final List<float[]> grads = new ArrayList<>();
    private final Tensor topGathered;
    private final Tensor embGathered;
    private final OutputExchange reduced;
    private final ReplicaCheck replicas;
    private long outputBytes;

    /** The step of {@code group.size()} workers with {@code localBatch} examples each. */
    public DataParallelStep(NgramLanguageModel model, Collective group, int localBatch) {
        this.model = model;
        this.group = group;
        this.b = model.backend();
        this.m = localBatch;
        this.total = group.size() * localBatch;
        boolean gathers = gathers(model.config().output());
        if (model.maxBatch() < modelBatch(model.config().output(), localBatch, group.size())) {
            throw new IllegalArgumentException("the model holds batches of " + model.maxBatch() + ", the step needs "
                    + modelBatch(model.config().output(), localBatch, group.size()));
        }
        this.reduced = gathers ? null : model.output() instanceof SparseUpdate
                ? new RowExchange(b, group, model.output(), localBatch) : new OutputAllReduce(b, group, model.output());
        this.replicas = new ReplicaCheck(b, group);
        int d = model.gradTop().cols();
        top = new float[gathers ? m * d : 0];                 // the gathered rows: the factored layer only
        topAll = new float[gathers ? total * d : 0];
        targetsAll = new int[gathers ? total : 0];
        int ctx = model.embedding().context();
        int e = model.embedding().dim();
        emb = new float[m * ctx * e];
        embAll = new float[total * ctx * e];
        idsAll = new int[total * ctx];
        int n = 0;
        for (DenseLayer l : model.hidden()) {
            grads.add(new float[l.weightGradient().rows() * l.weightGradient().cols()]);
            grads.add(new float[l.biasGradient().rows() * l.biasGradient().cols()]);
            n += grads.get(grads.size() - 2).length + grads.get(grads.size() - 1).length;
        }
        bucket = new float[n];
        topGathered = gathers ? b.zeros(total, d) : null;
        embGathered = b.zeros(total, ctx * e);
    }

    /** Whether the output layer takes the global step from gathered rows (the factored layer) or all-reduces. */
    static boolean gathers(OutputKind kind) {
        return kind == OutputKind.FACTORED;
    }

    /** The maximum batch the model needs for N workers of m examples: N m for the factored layer, else m. */
    public static int modelBatch(OutputKind kind, int localBatch, int workers) {
        return gathers(kind) ? localBatch * workers : localBatch;
    }

    /**
     * The step on this worker's {@code mm} examples ({@code mm <= m}, the same on every worker: the global minibatch
     * holds N mm); returns the global minibatch's mean loss (before the update).
     */
    public double step(int[] ctx, int[] targets, int mm, float lr) {
        if (mm < 1 || mm > m) {
            throw new IllegalArgumentException("local batch " + mm + " of at most " + m);
        }
        int n = group.size() * mm;
        int context = model.embedding().context();
        List<DenseLayer> hidden = model.hidden();
        List<Tensor> inputs = new ArrayList<>(hidden.size());
        Tensor x = model.embedding().forward(ctx, mm);
        for (DenseLayer l : hidden) {
            inputs.add(x);
            x = l.forward(x);
        }
        Tensor g;
        double loss;
        long sent = group.bytesSent();
        if (reduced != null) {
            g = model.gradTop().rowRange(0, mm);
            loss = reduced.step(x, mm == targets.length ? targets : java.util.Arrays.copyOf(targets, mm), lr, g);
        } else {
            int d = x.cols();
            b.download(x, top);
            group.allGather(top, mm * d, topAll);
            group.allGather(targets, mm, targetsAll);
            Tensor xAll = topGathered.rowRange(0, n);
            b.upload(topAll, xAll);
            Tensor gAll = model.gradTop().rowRange(0, n);
            loss = model.output().step(xAll, n == targetsAll.length ? targetsAll
                    : java.util.Arrays.copyOf(targetsAll, n), lr, gAll);
            g = gAll.rowRange(group.rank() * mm, group.rank() * mm + mm);
        }
        outputBytes += group.bytesSent() - sent;
        for (int i = hidden.size() - 1; i >= 0; i--) {
            g = hidden.get(i).gradients(inputs.get(i), g, true);
        }
        sumHiddenGradients();
        for (DenseLayer l : hidden) {
            l.apply(model.updater(), lr);
        }

        b.download(g, emb);
        group.allGather(emb, mm * g.cols(), embAll);
        group.allGather(ctx, mm * context, idsAll);
        Tensor gEmb = embGathered.rowRange(0, n);
        b.upload(embAll, gEmb);
        model.embedding().backward(n * context == idsAll.length ? idsAll : java.util.Arrays.copyOf(idsAll, n * context),
                n, gEmb, lr);
        return loss;
    }

    /**
     * Compares every worker's training state with rank 0's and, where any differs, gives every worker rank 0's;
     * returns whether that happened. The state is the model's arrays (parameters, the output layer's state, the
     * optimizer's slots and step counts; a SHA-256 digest of their bits is all-gathered) and its host counter (the
     * output layer's step counter, compared exactly and restored with {@code restoreCounter}); see
     * {@link ReplicaCheck}. A caller with host state of its own passes it to {@link #checkReplicas(HostState)}.
     */
    public boolean checkReplicas() {
        long before = replicas.resyncs();
        checkReplicas(HostState.EMPTY);
        return replicas.resyncs() > before;
    }

    /**
     * {@link #checkReplicas()} with the caller's host state too (the trainer's position, step count and schedule), its
     * names the same on every worker: returns rank 0's values of it, which the caller applies (they equal
     * {@code progress} unless {@link #resyncs()} grew and the values differed).
     */
    public HostState checkReplicas(HostState progress) {
        HostState own = new HostState(List.of(OUTPUT_COUNTER), List.of(model.output().counter()));
        HostState agreed = replicas.check(model.state(), own.plus(progress));
        if (agreed.get(OUTPUT_COUNTER) != model.output().counter()) {
            model.output().restoreCounter(agreed.get(OUTPUT_COUNTER));
        }
        return agreed.slice(own.size(), agreed.size());
    }

    /** How many times a replica check found a difference and resynchronised. */
    public long resyncs() {
        return replicas.resyncs();
    }

    /** Bytes this worker has sent for the output layer's collectives so far (a part of the group's count). */
    public long outputBytesSent() {
        return outputBytes;
    }

    /**
     * The output layer's parameter rows all-reduced so far, summed over its tensors (the size of the exchanged set S,
     * step after step; every row for a dense all-reduce); 0 for the factored layer, which exchanges hidden vectors.
     */
    public long outputRowsExchanged() {
        return reduced == null ? 0 : reduced.rowsExchanged();
    }

    /** Every hidden layer's dL/dW and dL/db summed over the workers, in one all-reduce. */
    private void sumHiddenGradients() {
        int at = 0;
        int k = 0;
        for (DenseLayer l : model.hidden()) {
            for (Tensor t : new Tensor[] {l.weightGradient(), l.biasGradient()}) {
                float[] h = grads.get(k++);
                b.download(t, h);
                System.arraycopy(h, 0, bucket, at, h.length);
                at += h.length;
            }
        }
        group.allReduceSum(bucket, 0, bucket.length);
        at = 0;
        k = 0;
        for (DenseLayer l : model.hidden()) {
            for (Tensor t : new Tensor[] {l.weightGradient(), l.biasGradient()}) {
                float[] h = grads.get(k++);
                System.arraycopy(bucket, at, h, 0, h.length);
                at += h.length;
                b.upload(h, t);
            }
        }
    }

    @Override
    public void close() {
        if (topGathered != null) {
            topGathered.close();
        }
        if (reduced != null) {
            reduced.close();
        }
        embGathered.close();
    }
}
