package io.spherical.models.parallel;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Map;

/**
 * Checks that the workers of a data-parallel group still hold the same training state, and makes them so when they do
 * not. The state is of two parts:
 * <ul>
 *   <li><b>the arrays</b> (parameters, the output layer's state, the optimizer's slots, the optimizer's step counts,
 *       which live on the device as 1 x 1 arrays): each worker hashes their names, shapes and bits with SHA-256;</li>
 *   <li><b>the host counters</b> ({@link HostState}: the output layer's step counter and what the caller adds, such as
 *       the trainer's position and step count): a few numbers, so they are not hashed but compared whole.</li>
 * </ul>
 * One all-gather of ints carries each worker's digest (8 ints) and its counters (two 32-bit halves each, so every
 * long arrives exactly). When any worker's digest differs from rank 0's, rank 0 broadcasts every array; when any
 * counter differs, every worker takes rank 0's counters from the gathered ints. Either counts as one
 * resynchronisation, which the trainer logs. Replicas only drift through a fault (a flipped bit, a nondeterministic
 * native routine, a worker restored from another checkpoint), so in a healthy run none happens.
 *
 * <p>Why SHA-256 and not the CRC32C the JDK also has (about ten times faster per byte): a CRC is built for bursts of
 * flipped bits and lets other patterns through with probability 2^-32 per check, with no bound on the patterns it
 * always misses (any difference that is a multiple of its polynomial); a worker restored from another checkpoint
 * differs everywhere, and the check runs for the life of every multi-worker run. With SHA-256 a missed difference is
 * out of the question. Its cost, with the JDK's intrinsics some 0.5 to 1.5 GB/s on one core (estimated, not measured
 * here), is a few seconds per {@link DataParallelStep#CHECK_EVERY} steps at the largest vocabularies. Floats are fed as
 * their raw bits in little-endian order through one reusable buffer (no allocation per element), so workers on
 * machines of any byte order agree and a NaN's payload counts.
 */
final class ReplicaCheck {
    /** Floats per download and per broadcast call (64 MiB). */
    static final int BUCKET = 16 << 20;
    /** Floats per digest update (256 KiB of bytes). */
    static final int SLICE = 1 << 16;
    /** Ints of a SHA-256 digest. */
    static final int DIGEST_INTS = 8;

    private final Backend b;
    private final Collective group;
    private final MessageDigest sha = sha256();
    private final ByteBuffer bytes = ByteBuffer.allocate(SLICE * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    private final FloatBuffer floats = bytes.asFloatBuffer();
    private int[] mine = new int[0];
    private int[] all = new int[0];
    private float[] host = new float[0];
    private long resyncs;

    ReplicaCheck(Backend backend, Collective group) {
        this.b = backend;
        this.group = group;
    }

    /**
     * Compares every worker's arrays and counters with rank 0's; copies rank 0's arrays to every worker where any
     * digest differs and returns rank 0's counters (equal to {@code counters} when nothing differed; compare
     * {@link #resyncs()} before and after to know whether anything did). {@code counters} must have the same names on
     * every worker.
     */
    HostState check(Map<String, Tensor> state, HostState counters) {
        int k = counters.size();
        int width = DIGEST_INTS + 2 * k;
        if (mine.length != width) {
            mine = new int[width];
            all = new int[width * group.size()];
        }
        ByteBuffer.wrap(digest(state)).asIntBuffer().get(mine, 0, DIGEST_INTS);
        for (int i = 0; i < k; i++) {
            long v = counters.values().get(i);
            mine[DIGEST_INTS + 2 * i] = (int) (v >>> 32);
            mine[DIGEST_INTS + 2 * i + 1] = (int) v;
        }
        group.allGather(mine, width, all);
        boolean sameArrays = true;
        boolean sameCounters = true;
        for (int r = 1; r < group.size(); r++) {
            int at = r * width;
            sameArrays &= Arrays.equals(all, at, at + DIGEST_INTS, all, 0, DIGEST_INTS);
            sameCounters &= Arrays.equals(all, at + DIGEST_INTS, at + width, all, DIGEST_INTS, width);
        }
        if (sameArrays && sameCounters) {
            return counters;
        }
        if (!sameArrays) {
            broadcast(state);
        }
        resyncs++;
        long[] agreed = new long[k];
        for (int i = 0; i < k; i++) {
            agreed[i] = (long) all[DIGEST_INTS + 2 * i] << 32 | (all[DIGEST_INTS + 2 * i + 1] & 0xFFFF_FFFFL);
        }
        return counters.withValues(agreed);
    }

    /** Resynchronisations so far. */
    long resyncs() {
        return resyncs;
    }

    /** SHA-256 of every array's name, shape and bits, in the map's order. */
    private byte[] digest(Map<String, Tensor> state) {
        sha.reset();
        for (Map.Entry<String, Tensor> e : state.entrySet()) {
            Tensor t = e.getValue();
            byte[] name = e.getKey().getBytes(StandardCharsets.UTF_8);
            bytes.clear();
            bytes.putInt(name.length).putInt(t.rows()).putInt(t.cols());
            sha.update(bytes.array(), 0, 3 * Integer.BYTES);
            sha.update(name);
            int rows = Math.max(1, BUCKET / Math.max(1, t.cols()));
            for (int r0 = 0; r0 < t.rows(); r0 += rows) {
                Tensor part = t.rowRange(r0, Math.min(t.rows(), r0 + rows));
                int len = part.rows() * part.cols();
                download(part, len);
                for (int at = 0; at < len; at += SLICE) {
                    int n = Math.min(SLICE, len - at);
                    floats.clear();
                    floats.put(host, at, n);
                    sha.update(bytes.array(), 0, n * Float.BYTES);
                }
            }
        }
        return sha.digest();
    }

    /** Rank 0's arrays copied into every worker's, in buckets. */
    private void broadcast(Map<String, Tensor> state) {
        for (Tensor t : state.values()) {
            int rows = Math.max(1, BUCKET / Math.max(1, t.cols()));
            for (int r0 = 0; r0 < t.rows(); r0 += rows) {
                Tensor part = t.rowRange(r0, Math.min(t.rows(), r0 + rows));
                int len = part.rows() * part.cols();
                download(part, len);
                float[] exact = len == host.length ? host : Arrays.copyOf(host, len);
                group.broadcast(exact, 0);
                b.upload(exact, part);
            }
        }
    }

    private void download(Tensor part, int len) {
        if (host.length < len) {
            host = new float[len];
        }
        b.download(part, host);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime lacks SHA-256, which every Java SE runtime provides", e);
        }
    }
}
