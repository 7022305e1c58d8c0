package io.spherical.models.parallel;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Tensor;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.output.OutputLayer;
import java.util.ArrayList;
import java.util.List;

/**
 * The ordinary data-parallel step of an output layer whose step changes every parameter (log-softmax, the dense
 * spherical layer): the way PyTorch's DDP or Horovod would train it, so that its traffic can be measured next to the
 * factored layer's. (Layers whose steps change only some rows, sampled, hierarchical and adaptive softmax, exchange
 * those rows alone: {@link RowExchange}.) Each worker steps on its own m rows with the rate divided by N, which moves
 * its parameters by {@code -eta/N} times the gradient of its rows' mean loss; those moves are summed over the workers
 * in one all-reduce of every parameter of the layer (dense, in buckets of {@link #BUCKET} floats) and added to the
 * parameters as they were before the step. For SGD, the only optimizer of output layers, this is exactly the update
 * of the global minibatch's mean loss (to float32 rounding), and every worker ends with the same bits. dL/dH of the
 * worker's rows is divided by N, to be that of the global mean.
 *
 * <p>Memory: one device copy of the layer's parameters (the state before the step) and one host bucket.
 */
final class OutputAllReduce implements OutputExchange {
    /** Floats per all-reduce call (64 MiB), as DDP buckets its gradients (25 MiB by default). */
    static final int BUCKET = 16 << 20;

    private final Backend b;
    private final Collective group;
    private final OutputLayer layer;
    private final List<Tensor> params = new ArrayList<>();
    private final List<Tensor> before = new ArrayList<>();
    private final float[] bucket;
    private final float[] loss = new float[1];
    private long rows;

    OutputAllReduce(Backend backend, Collective group, OutputLayer layer) {
        this.b = backend;
        this.group = group;
        this.layer = layer;
        long largest = 1;
        params.addAll(layer.state().values());
        for (Tensor t : params) {
            largest = Math.max(largest, (long) t.rows() * t.cols());
        }
        int bucketFloats = (int) Math.min(largest, BUCKET);
        long need = MemoryPlan.times(floats() + 2L * bucketFloats, Float.BYTES);   // the copy, the bucket, its staging
        long free = MemoryPlan.availableBytes();
        if (need > free) {
            throw new io.spherical.api.UserException("Data-parallel training of this output layer needs about "
                    + MemoryPlan.human(need) + " more for the dense all-reduce of its parameters, but "
                    + MemoryPlan.human(free) + " is available. Fix: start fewer workers per machine, or use the "
                    + "factored output layer (--output factored), whose workers exchange hidden vectors instead.");
        }
        for (Tensor t : params) {
            before.add(b.zeros(t.rows(), t.cols()));
        }
        this.bucket = new float[bucketFloats];
    }

    /** Floats of the layer's parameters: what every worker all-reduces each step. */
    long floats() {
        long n = 0;
        for (Tensor t : params) {
            n += (long) t.rows() * t.cols();
        }
        return n;
    }

    /**
     * The layer's step on this worker's {@code h} (m rows) as part of a global minibatch of N m; dL/dH of these rows
     * (for the global mean) into {@code gradOut}. Returns the global minibatch's mean loss.
     */
    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int n = group.size();
        for (int i = 0; i < params.size(); i++) {
            b.copy(params.get(i), before.get(i));
        }
        loss[0] = (float) (layer.step(h, targets, eta / n, gradOut) / n);
        b.scale(1f / n, gradOut);
        for (int i = 0; i < params.size(); i++) {
            sum(b, group, bucket, params.get(i), before.get(i));
            rows += params.get(i).rows();
        }
        group.allReduceSum(loss, 0, 1);
        return loss[0];
    }

    @Override
    public long rowsExchanged() {
        return rows;
    }

    /**
     * p <- old + (sum over workers of (p - old)), bucket by bucket of whole rows through the host array
     * {@code bucket} (at least one row of p).
     */
    static void sum(Backend b, Collective group, float[] bucket, Tensor p, Tensor old) {
        b.axpy(-1f, old, p);                                     // this worker's move
        int rows = Math.max(1, bucket.length / p.cols());
        for (int r0 = 0; r0 < p.rows(); r0 += rows) {
            int r1 = Math.min(p.rows(), r0 + rows);
            Tensor part = p.rowRange(r0, r1);
            int len = (r1 - r0) * p.cols();
            b.download(part, bucket);
            group.allReduceSum(bucket, 0, len);
            b.upload(bucket, part);
        }
        b.axpy(1f, old, p);
    }

    @Override
    public void close() {
        before.forEach(Tensor::close);
    }
}
