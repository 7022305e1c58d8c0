package io.spherical.models.parallel;

import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.output.AdaptiveSoftmaxOutput;
import java.util.Locale;

/**
 * The memory of the workers of a data-parallel group on one machine, estimated before any of them starts, so that a
 * launcher refuses a group that cannot fit in one line instead of starting processes until the machine swaps or the
 * kernel kills them. One worker counts: its model's {@link MemoryPlan} at the batch the worker's model is built with
 * ({@link DataParallelStep#modelBatch}: N m for the factored layer, which replicates the global step), what the
 * output layer's exchange keeps ({@link #exchangeFloats}: the copy of a dense layer's parameters for
 * {@link OutputAllReduce}, the rows a sparse layer's step may change for {@link RowExchange}), and the JVM itself
 * ({@link #JVM_BYTES}).
 */
public final class WorkerMemory {
    /** What one worker process takes besides its model: the JVM's heap and code, the native libraries, the stacks. */
    public static final long JVM_BYTES = 512L << 20;

    private WorkerMemory() {
    }

    /**
     * The estimated bytes of one of {@code workers} workers training {@code mc} on {@code classes} words with
     * {@code localBatch} examples each and the hidden layers' optimizer {@code optimizer} (its slots are counted).
     */
    public static long perWorker(ModelConfig mc, int classes, int localBatch, int workers, String optimizer) {
        long global = DataParallelStep.gathers(mc.output()) ? (long) localBatch * workers : localBatch;
        int modelBatch = (int) Math.min(Integer.MAX_VALUE, global);       // saturates: the plan only grows with it
        long bytes = MemoryPlan.of(mc, classes, modelBatch, optimizer).bytes();
        if (workers > 1 && !DataParallelStep.gathers(mc.output())) {
            bytes = plus(bytes, MemoryPlan.times(exchangeFloats(mc, classes, localBatch, workers), Float.BYTES));
        }
        return plus(bytes, JVM_BYTES);
    }

    /**
     * The floats the output layer's exchange keeps on one of {@code workers} workers of {@code localBatch} examples:
     * the parameters it copies aside before each step, for the worst case of N m targets (log-softmax and the dense
     * layer: all D x d; sampled: the K negatives' and N m targets' rows; adaptive: its head, projections and tails,
     * which are far smaller than D x d; hierarchical: the class matrix and every word row, because N m targets in the
     * N m largest classes cover nearly every word of a large vocabulary, as the estimate is made before the class
     * sizes are known), plus its buckets (at most three of {@link OutputAllReduce#BUCKET} floats). An upper bound:
     * {@link RowExchange} grows its copies to the largest S its steps need, checking the free memory as it does.
     */
    static long exchangeFloats(ModelConfig mc, int classes, int localBatch, int workers) {
        long d = mc.topWidth() + 1L;
        long targets = MemoryPlan.times(localBatch, Math.max(1, workers));
        long copy = switch (mc.output()) {
            case SAMPLED -> MemoryPlan.times(Math.min(classes, plus(NgramLanguageModel.samples(mc, classes), targets)),
                    d);
            case HSM -> MemoryPlan.times(classes + (long) Math.ceil(Math.sqrt(classes)) + 1, d);
            case ADAPTIVE -> AdaptiveSoftmaxOutput.parameterFloats(classes, mc.topWidth(),
                    NgramLanguageModel.cutoffs(mc, classes));
            default -> MemoryPlan.times(classes, d);
        };
        return plus(copy, MemoryPlan.times(3, Math.min(copy, OutputAllReduce.BUCKET)));
    }

    /**
     * Refuses, in one line naming the estimate and the memory available, {@code workers} local workers of
     * {@code perWorker} bytes each when they do not fit in {@code availableBytes}; {@code what} names the group
     * (e.g. "500 local workers") and {@code fix} is what to change.
     */
    public static void check(int workers, long perWorker, long availableBytes, String what, String fix) {
        long need = MemoryPlan.times(perWorker, Math.max(0, workers));
        if (need > availableBytes) {
            long fit = perWorker > 0 ? availableBytes / perWorker : 0;
            throw new UserException(String.format(Locale.ROOT, "%s need about %s of memory (%s each, %s of it for the "
                    + "JVM) but %s is available, enough for %d. Fix: %s.", what, MemoryPlan.human(need),
                    MemoryPlan.human(perWorker), MemoryPlan.human(JVM_BYTES), MemoryPlan.human(availableBytes), fit,
                    fix));
        }
    }

    private static long plus(long a, long b) {
        long r = a + b;
        return r < 0 ? Long.MAX_VALUE : r;
    }
}
