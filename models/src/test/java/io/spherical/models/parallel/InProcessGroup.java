package io.spherical.models.parallel;

import io.spherical.api.Collective;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A group of N ranks that are threads of one process, for tests: each collective puts every rank's contribution in a
 * shared slot, waits for all of them, computes the result from the slots (the same way, in rank order, on every rank,
 * so every rank gets the same bits) and waits again before the slots are reused. A rank that does not arrive within
 * {@link #TIMEOUT_S} seconds makes the others fail, as a real group's timeout would.
 */
final class InProcessGroup {
    static final long TIMEOUT_S = 60;

    private final int size;
    private final CyclicBarrier barrier;
    private final Object[] slots;

    /** A group of {@code size} ranks; {@link #member} gives each thread its view. */
    InProcessGroup(int size) {
        this.size = size;
        this.barrier = new CyclicBarrier(size);
        this.slots = new Object[size];
    }

    /** The collective of rank {@code rank}. */
    Collective member(int rank) {
        return new Member(rank);
    }

    private void await() {
        try {
            barrier.await(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted in a collective", e);
        } catch (BrokenBarrierException | TimeoutException e) {
            throw new IllegalStateException("another rank did not take part in the collective", e);
        }
    }

    private final class Member implements Collective {
        private final int rank;

        Member(int rank) {
            this.rank = rank;
        }

        @Override
        public int rank() {
            return rank;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public void allReduceSum(float[] data, int offset, int length) {
            slots[rank] = java.util.Arrays.copyOfRange(data, offset, offset + length);
            await();
            for (int i = 0; i < length; i++) {
                float s = 0;
                for (int r = 0; r < size; r++) {
                    s += ((float[]) slots[r])[i];
                }
                data[offset + i] = s;
            }
            await();
        }

        @Override
        public void allGather(float[] mine, int count, float[] all) {
            slots[rank] = java.util.Arrays.copyOf(mine, count);
            await();
            for (int r = 0; r < size; r++) {
                System.arraycopy((float[]) slots[r], 0, all, r * count, count);
            }
            await();
        }

        @Override
        public void allGather(int[] mine, int count, int[] all) {
            slots[rank] = java.util.Arrays.copyOf(mine, count);
            await();
            for (int r = 0; r < size; r++) {
                System.arraycopy((int[]) slots[r], 0, all, r * count, count);
            }
            await();
        }

        @Override
        public void broadcast(float[] data, int root) {
            slots[rank] = data.clone();
            await();
            System.arraycopy((float[]) slots[root], 0, data, 0, data.length);
            await();
        }

        @Override
        public void barrier() {
            await();
        }

        @Override
        public long bytesSent() {
            return 0;
        }

        @Override
        public void close() {
        }
    }
}
