package io.spherical.models.parallel;

import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.lm.ModelConfig;
import java.util.Locale;

/**
 * The memory of the workers of a data-parallel group on one machine, estimated before any of them starts, so that a
 * launcher refuses a group that cannot fit in one line instead of starting processes until the machine swaps or the
 * kernel kills them. One worker counts: its model's {@link MemoryPlan} at the batch the worker's model is built with
 * ({@link DataParallelStep#modelBatch}: N m for the factored layer, which replicates the global step), the copy of a
 * dense output layer's parameters that {@link OutputAllReduce} keeps, and the JVM itself ({@link #JVM_BYTES}).
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
            bytes = plus(bytes, MemoryPlan.times(MemoryPlan.times(classes, mc.topWidth() + 1L), Float.BYTES));
        }
        return plus(bytes, JVM_BYTES);
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
