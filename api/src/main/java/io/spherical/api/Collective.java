package io.spherical.api;

/**
 * Collective communication among the N processes (ranks 0 .. N-1) of one data-parallel job. Every rank makes the same
 * calls in the same order; each call blocks until this rank's part is done, and leaves the same values (bit for bit)
 * on every rank. Buffers are host arrays. {@link #single()} is the group of one process, where every call leaves its
 * buffers as they are; implementations for several processes are found by {@link Collectives}.
 *
 * <p>A rank that stops answering (killed, crashed, cut off) makes the others' next call fail with a
 * {@link UserException} naming the problem within the group's timeout.
 */
public interface Collective extends AutoCloseable {
    /** This process's rank, 0 .. size - 1. */
    int rank();

    /** The number of processes. */
    int size();

    /** Element-wise sum over every rank of {@code data[offset, offset + length)}, in place on every rank. */
    void allReduceSum(float[] data, int offset, int length);

    /**
     * Every rank's {@code mine[0, count)} ({@code count} the same on every rank) in rank order in
     * {@code all[0, size * count)}.
     */
    void allGather(float[] mine, int count, float[] all);

    /**
     * Every rank's {@code mine[0, count)} ({@code count} the same on every rank) in rank order in
     * {@code all[0, size * count)}.
     */
    void allGather(int[] mine, int count, int[] all);

    /** {@code root}'s {@code data} copied into {@code data} on every rank. */
    void broadcast(float[] data, int root);

    /** Returns when every rank has called it. */
    void barrier();

    /**
     * Bytes this rank has sent for the calls so far, by the algorithms' standard counts: a ring all-reduce of S bytes
     * sends 2 (N - 1) / N S, an all-gather of s bytes per rank (N - 1) s, a broadcast of S bytes S from the root
     * (a tree sends each byte once per receiver; counted on the root) and nothing elsewhere; a barrier nothing.
     */
    long bytesSent();

    /** Leaves the group (every rank should). */
    @Override
    void close();

    /** The group of one process. */
    static Collective single() {
        return SingleProcess.INSTANCE;
    }
}
