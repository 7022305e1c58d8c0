package io.spherical.models.parallel;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Tensor;
import java.util.Map;

/**
 * Checks that the workers of a data-parallel group still hold the same parameters bit for bit, and makes them so when
 * they do not: each worker hashes the bits of every array of its training state (parameters, the output layer's
 * state, the optimizer's slots), the hashes are all-gathered, and when any differs from rank 0's every array is
 * broadcast from rank 0. Replicas only drift through a fault (a flipped bit, a nondeterministic native routine, a
 * worker restored from another checkpoint); a resynchronisation is counted and the trainer logs it.
 */
final class ReplicaCheck {
    /** Floats per broadcast call (64 MiB). */
    static final int BUCKET = 16 << 20;

    private final Backend b;
    private final Collective group;
    private final int[] mine = new int[2];
    private final int[] all;
    private float[] host = new float[0];
    private long resyncs;

    ReplicaCheck(Backend backend, Collective group) {
        this.b = backend;
        this.group = group;
        this.all = new int[2 * group.size()];
    }

    /** Compares every worker's state with rank 0's; returns whether it differed anywhere (and was then copied). */
    boolean check(Map<String, Tensor> state) {
        long h = 1125899906842597L;
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue();
            int n = Math.toIntExact((long) t.rows() * t.cols());
            int rows = Math.max(1, BUCKET / Math.max(1, t.cols()));
            for (int r0 = 0; r0 < t.rows(); r0 += rows) {
                Tensor part = t.rowRange(r0, Math.min(t.rows(), r0 + rows));
                int len = part.rows() * part.cols();
                download(part, len);
                for (int i = 0; i < len; i++) {
                    h = 31 * h + Float.floatToRawIntBits(host[i]);
                }
            }
            h = 31 * h + n;
        }
        mine[0] = (int) (h >>> 32);
        mine[1] = (int) h;
        group.allGather(mine, 2, all);
        boolean same = true;
        for (int r = 1; r < group.size(); r++) {
            same &= all[2 * r] == all[0] && all[2 * r + 1] == all[1];
        }
        if (same) {
            return false;
        }
        for (Tensor t : state.values()) {
            int rows = Math.max(1, BUCKET / Math.max(1, t.cols()));
            for (int r0 = 0; r0 < t.rows(); r0 += rows) {
                Tensor part = t.rowRange(r0, Math.min(t.rows(), r0 + rows));
                int len = part.rows() * part.cols();
                download(part, len);
                float[] exact = len == host.length ? host : java.util.Arrays.copyOf(host, len);
                group.broadcast(exact, 0);
                b.upload(exact, part);
            }
        }
        resyncs++;
        return true;
    }

    /** Resynchronisations so far. */
    long resyncs() {
        return resyncs;
    }

    private void download(Tensor part, int len) {
        if (host.length < len) {
            host = new float[len];
        }
        b.download(part, host);
    }
}
