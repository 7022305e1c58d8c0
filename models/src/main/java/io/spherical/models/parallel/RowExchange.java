package io.spherical.models.parallel;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.lm.MemoryPlan;
import io.spherical.models.output.OutputLayer;
import io.spherical.models.output.RowSets;
import io.spherical.models.output.SparseUpdate;
import java.util.ArrayList;
import java.util.List;

/**
 * The data-parallel step of an output layer whose step changes only some rows of its parameters
 * ({@link SparseUpdate}: sampled, hierarchical and adaptive softmax): exact like {@link OutputAllReduce}, but it
 * copies and all-reduces only those rows.
 * <ol>
 *   <li>The workers all-gather their targets (m ints each: the global minibatch's targets) and ask the layer for S,
 *       per tensor, the rows that any worker's step on them may change: the same sets on every worker.</li>
 *   <li>Each worker copies S's rows aside (per tensor a workspace that grows to the largest S seen so far, never
 *       beyond the layer's worst case for N m targets, and not D x d unless S reaches it) and steps on its own m rows
 *       with the rate divided by N.</li>
 *   <li>Its move on S, {@code p[S] - before[S]}, is all-reduced in buckets and {@code before[S] + sum} is written
 *       into {@code p[S]} (the rows are first zeroed by adding minus themselves, exactly, then the new values added).
 *       A tensor the layer reports whole goes as in {@link OutputAllReduce}; one reported untouched is neither copied
 *       nor sent.</li>
 * </ol>
 * Rows outside S are changed by no worker, so they stay as they were, the same bits everywhere; the rows of S end as
 * {@code before + the all-reduced sum}, the same bits everywhere too. For SGD, the only optimizer of output layers,
 * the sum of the moves is the global minibatch's update (see {@link OutputAllReduce}). Per step each worker sends
 * {@code (N - 1) m} target ints and {@code 2 (N - 1) / N} of the {@code sum over tensors |S_t| cols_t} floats (plus
 * the loss).
 *
 * <p>Memory: per tensor {@code |S| x cols} floats on the device for the largest |S| seen so far (at most
 * {@code min(rows, the layer's bound for N m targets)}: the hierarchical softmax's bound is nearly every word at large
 * D, while its S is typically a fraction of them), one device bucket for the rows in flight (when some tensor is
 * listed by rows), one host bucket, index arrays of at most {@link #CHUNK} ids. The buckets are checked against the
 * free memory when the exchange is made, each growth of a workspace when it happens (the same step on every worker,
 * S being the same everywhere; a worker that fails the check stops, and the others fail in their next collective).
 */
final class RowExchange implements OutputExchange {
    /** Rows per gather or scatter call: the calls take index arrays of exactly their length, made once each. */
    static final int CHUNK = 1024;

    private final Backend b;
    private final Collective group;
    private final OutputLayer layer;
    private final SparseUpdate sparse;
    private final List<Tensor> params;
    private final RowSets sets;
    private final int[] bound;            // per tensor, the most rows its workspace may need (the layer's worst case)
    private final Tensor[] before;        // per tensor, the workspace: null until a step needs it, grown on demand
    private final Tensor moved;
    private final float[] bucket;
    private final int[] targetsAll;
    private final int[][] chunks = new int[CHUNK + 1][];
    private final float[] loss = new float[1];
    private long workspace;
    private long rows;

    /** The exchange of {@code layer} among {@code group}'s workers, each stepping on at most {@code localBatch}. */
    RowExchange(Backend backend, Collective group, OutputLayer layer, int localBatch) {
        if (!(layer instanceof SparseUpdate s)) {
            throw new IllegalArgumentException(layer.getClass().getSimpleName() + " does not report the rows its "
                    + "steps change; use OutputAllReduce");
        }
        this.b = backend;
        this.group = group;
        this.layer = layer;
        this.sparse = s;
        this.params = new ArrayList<>(layer.state().values());
        this.targetsAll = new int[Math.multiplyExact(group.size(), localBatch)];
        this.sets = s.rowSets(targetsAll.length);
        if (sets.tensors() != params.size()) {
            throw new IllegalStateException(sets.tensors() + " row sets for " + params.size() + " tensors");
        }
        this.bound = new int[params.size()];
        long widest = 1;
        boolean lists = false;
        for (int t = 0; t < bound.length; t++) {
            Tensor p = params.get(t);
            bound[t] = (int) Math.min(p.rows(), sets.maxRows(t));
            widest = Math.max(widest, Math.max(p.cols(), (long) bound[t] * p.cols()));
            lists |= sets.listCapacity(t) > 0;
        }
        int bucketFloats = (int) Math.min(widest, Math.max(OutputAllReduce.BUCKET, maxCols()));
        requireFree(MemoryPlan.times((lists ? 3L : 2L) * bucketFloats, Float.BYTES));   // the buckets, the staging
        this.before = new Tensor[bound.length];
        this.moved = lists ? b.zeros(bucketFloats, 1) : null;
        this.bucket = new float[bucketFloats];
    }

    /** Refuses, in one line, to take {@code need} more bytes when the machine does not have them. */
    private static void requireFree(long need) {
        long free = MemoryPlan.availableBytes();
        if (need > free) {
            throw new UserException("Data-parallel training of this output layer needs about " + MemoryPlan.human(need)
                    + " more to copy aside and all-reduce the rows its steps may change, but " + MemoryPlan.human(free)
                    + " is available. Fix: lower --batch or start fewer workers per machine, or use the factored "
                    + "output layer (--output factored), whose workers exchange hidden vectors instead.");
        }
    }

    private int maxCols() {
        int c = 1;
        for (Tensor p : params) {
            c = Math.max(c, p.cols());
        }
        return c;
    }

    /**
     * Floats of the device copies of the rows set aside, as grown so far (per tensor the largest S seen, at most its
     * worst case): for tests.
     */
    long workspaceFloats() {
        return workspace;
    }

    @Override
    public double step(Tensor h, int[] targets, float eta, Tensor gradOut) {
        int n = group.size();
        int count = n * targets.length;
        if (count > targetsAll.length) {
            throw new IllegalArgumentException(targets.length + " targets per worker, at most "
                    + targetsAll.length / n);
        }
        group.allGather(targets, targets.length, targetsAll);
        sparse.touched(targetsAll, count, sets);
        for (int t = 0; t < params.size(); t++) {
            keep(t);
        }
        loss[0] = (float) (layer.step(h, targets, eta / n, gradOut) / n);
        if (gradOut != null) {
            b.scale(1f / n, gradOut);
        }
        for (int t = 0; t < params.size(); t++) {
            exchange(t);
        }
        group.allReduceSum(loss, 0, 1);
        return loss[0];
    }

    @Override
    public long rowsExchanged() {
        return rows;
    }

    /** Copies the rows of tensor t that the step may change into its workspace (grown first when too small). */
    private void keep(int t) {
        Tensor p = params.get(t);
        if (sets.all(t)) {
            if (bound[t] != p.rows()) {
                throw new IllegalStateException("tensor " + t + " reported whole, but bounded by " + bound[t] + " of "
                        + p.rows() + " rows");
            }
            b.copy(p, workspace(t, p.rows()));      // its rows never exceed the bound: exactly p's shape
            return;
        }
        int n = sets.count(t);
        if (n > bound[t]) {
            throw new IllegalStateException(n + " rows of tensor " + t + " reported, its bound is " + bound[t]);
        }
        if (n == 0) {
            return;
        }
        Tensor w = workspace(t, n);
        int[] s = sets.rows(t);
        for (int j0 = 0; j0 < n; j0 += CHUNK) {
            int j1 = Math.min(n, j0 + CHUNK);
            b.gatherRows(p, chunk(s, j0, j1), w.rowRange(j0, j1));
        }
    }

    /**
     * The workspace of tensor t, with room for at least {@code n} rows (at most its bound): grown to exactly n rows,
     * the largest S seen so far, when it is smaller, after checking that the machine has the extra memory. S is the
     * same on every worker, so every worker grows at the same step.
     */
    private Tensor workspace(int t, int n) {
        Tensor w = before[t];
        int have = w == null ? 0 : w.rows();
        if (n <= have) {
            return w;
        }
        int cols = params.get(t).cols();
        requireFree(MemoryPlan.times((long) (n - have) * cols, Float.BYTES));
        if (w != null) {
            before[t] = null;
            w.close();
            workspace -= (long) have * cols;
        }
        before[t] = b.zeros(n, cols);
        workspace += (long) n * cols;
        return before[t];
    }

    /** p[S] <- before[S] + the sum over workers of (p[S] - before[S]), bucket by bucket of rows of S. */
    private void exchange(int t) {
        Tensor p = params.get(t);
        if (sets.all(t)) {
            OutputAllReduce.sum(b, group, bucket, p, before[t]);
            rows += p.rows();
            return;
        }
        int n = sets.count(t);
        int cols = p.cols();
        int[] s = sets.rows(t);
        int per = Math.max(1, bucket.length / cols);
        for (int k0 = 0; k0 < n; k0 += per) {
            int k1 = Math.min(n, k0 + per);
            Tensor mv = moved.rowRange(0, (k1 - k0) * cols).reshape(k1 - k0, cols);
            for (int j0 = k0; j0 < k1; j0 += CHUNK) {               // p[S] into the bucket, then p[S] <- 0 exactly
                int j1 = Math.min(k1, j0 + CHUNK);
                int[] idx = chunk(s, j0, j1);
                Tensor part = mv.rowRange(j0 - k0, j1 - k0);
                b.gatherRows(p, idx, part);
                b.scatterAddRows(-1f, part, idx, p);
            }
            Tensor old = before[t].rowRange(k0, k1);
            b.axpy(-1f, old, mv);                                    // this worker's move
            b.download(mv, bucket);
            group.allReduceSum(bucket, 0, (k1 - k0) * cols);
            b.upload(bucket, mv);
            b.axpy(1f, old, mv);                                     // before + the sum of the moves
            for (int j0 = k0; j0 < k1; j0 += CHUNK) {
                int j1 = Math.min(k1, j0 + CHUNK);
                b.scatterAddRows(1f, mv.rowRange(j0 - k0, j1 - k0), chunk(s, j0, j1), p);
            }
        }
        rows += n;
    }

    /** {@code s[from, to)} in the index array of exactly that length (each length's array is made once). */
    private int[] chunk(int[] s, int from, int to) {
        int n = to - from;
        int[] a = chunks[n];
        if (a == null) {
            a = new int[n];
            chunks[n] = a;
        }
        System.arraycopy(s, from, a, 0, n);
        return a;
    }

    @Override
    public void close() {
        for (Tensor t : before) {
            if (t != null) {
                t.close();
            }
        }
        if (moved != null) {
            moved.close();
        }
    }
}
