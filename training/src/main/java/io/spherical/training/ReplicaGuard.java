package io.spherical.training;

import io.spherical.models.parallel.DataParallelStep;
import io.spherical.models.parallel.HostState;
import java.util.List;

/**
 * The trainer's part in keeping data-parallel workers identical: when training starts ({@link #atStart}, which every
 * worker reaches whatever its progress) and then every {@link DataParallelStep#CHECK_EVERY} steps, it runs the replica
 * check ({@link DataParallelStep#checkReplicas(HostState)}) with the trainer's {@link Progress} as host state (every
 * field; a double by its bits), so a worker whose position in the data (epoch, chunk, offset: the shuffled orders are
 * derived from them), step count, schedule or validation record differs from rank 0's, such as one restored from
 * another checkpoint, takes rank 0's along with its arrays and output-layer counter, and draws the same examples and
 * negatives from then on.
 *
 * <p>The steps are counted in this process, not read from {@link Progress#step()}: every worker then runs the check
 * (a collective) at the same call even when their step counts disagree, which is what the check is there to find.
 * The start check runs before the training loop rather than before the first step, because a worker restored at the
 * end of an epoch, or at the end of the run, reaches its first step later than the others, or never.
 */
final class ReplicaGuard {
    private static final List<String> FIELDS = List.of("epoch", "chunk", "offset", "doneInEpoch", "step", "lossSum",
            "lossCount", "lrScale", "bestTop10", "badEpochs", "finished");

    private final int rank;
    private long steps;
    private boolean checked;

    /** The guard of worker {@code rank}. */
    ReplicaGuard(int rank) {
        this.rank = rank;
    }

    /**
     * Called by every worker once, before its training loop, with the progress it starts from: runs the check (with
     * one process, {@code dp} null, nothing) and returns {@code p} itself or rank 0's progress, to start from. It
     * stands for the check before the first step, which {@link #beforeStep} then skips.
     */
    Progress atStart(DataParallelStep dp, Progress p, TrainingListener listener) {
        if (dp == null) {
            return p;
        }
        checked = true;
        return check(dp, p, listener);
    }

    /**
     * Called before each step with the progress it starts from; returns {@code p} itself, or rank 0's progress when
     * the check ran and found this worker elsewhere: the caller then continues from the returned progress and calls
     * this again before its step (the check does not run twice for one step). The check runs before this process's
     * first step (unless {@link #atStart} ran) and every {@link DataParallelStep#CHECK_EVERY} steps after it. With one
     * process ({@code dp} null) always {@code p}.
     */
    Progress beforeStep(DataParallelStep dp, Progress p, TrainingListener listener) {
        if (dp != null && steps % DataParallelStep.CHECK_EVERY == 0 && !checked) {
            checked = true;
            Progress agreed = check(dp, p, listener);
            if (agreed != p) {
                return agreed;
            }
        }
        steps++;
        checked = false;
        return p;
    }

    /** The check: {@code p} itself, or rank 0's progress when it differs from {@code p} in any bit. */
    private Progress check(DataParallelStep dp, Progress p, TrainingListener listener) {
        long before = dp.resyncs();
        HostState mine = toHost(p);
        HostState agreed = dp.checkReplicas(mine);
        if (dp.resyncs() > before) {
            Progress theirs = fromHost(agreed);
            listener.status("Worker " + rank + ": the workers' training state differed before step "
                    + (theirs.step() + 1) + "; every worker now holds rank 0's parameters, counters and position ("
                    + dp.resyncs() + " time(s) so far).");
            if (!agreed.equals(mine)) {          // by the bits: Progress.equals takes every NaN for the same
                return theirs;
            }
        }
        return p;
    }

    /** The progress as named longs, every field exact. */
    static HostState toHost(Progress p) {
        return new HostState(FIELDS, List.of((long) p.epoch(), (long) p.chunk(), p.offset(), p.doneInEpoch(), p.step(),
                Double.doubleToRawLongBits(p.lossSum()), p.lossCount(), Double.doubleToRawLongBits(p.lrScale()),
                Double.doubleToRawLongBits(p.bestTop10()), (long) p.badEpochs(), p.finished() ? 1L : 0L));
    }

    /** The progress {@link #toHost} describes. */
    static Progress fromHost(HostState s) {
        return new Progress((int) s.get("epoch"), (int) s.get("chunk"), s.get("offset"), s.get("doneInEpoch"),
                s.get("step"), Double.longBitsToDouble(s.get("lossSum")), s.get("lossCount"),
                Double.longBitsToDouble(s.get("lrScale")), Double.longBitsToDouble(s.get("bestTop10")),
                (int) s.get("badEpochs"), s.get("finished") != 0);
    }
}
