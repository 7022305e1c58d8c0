package io.spherical.models.output;

import java.util.Arrays;

/**
 * The rows of each parameter tensor of an output layer (in the iteration order of {@link OutputLayer#state()}) that
 * one training step may change, as a {@link SparseUpdate} layer reports them: per tensor either every row, or a sorted
 * list of distinct row ids (possibly empty: the step leaves the tensor as it is).
 *
 * <p>Made once by {@link SparseUpdate#rowSets(int)} for the largest global minibatch, and refilled every step without
 * allocating: per tensor it holds the most rows a step may change ({@link #maxRows}: what a data-parallel exchange
 * must be able to copy aside) and a list buffer of {@link #listCapacity} ids (0 for a tensor the layer only ever
 * reports as all or nothing).
 */
public final class RowSets {
    private static final int ALL = -1;

    private final long[] maxRows;
    private final int[][] lists;
    private final int[] count;

    /**
     * Sets for {@code maxRows.length} tensors.
     *
     * @param maxRows      per tensor, the most rows one step may change (the tensor's row count when it may change
     *                     all of them)
     * @param listCapacity per tensor, the most ids a list may hold (at most {@code maxRows})
     */
    public RowSets(long[] maxRows, int[] listCapacity) {
        if (maxRows.length != listCapacity.length) {
            throw new IllegalArgumentException(maxRows.length + " bounds for " + listCapacity.length + " lists");
        }
        this.maxRows = maxRows.clone();
        this.lists = new int[maxRows.length][];
        this.count = new int[maxRows.length];
        for (int t = 0; t < maxRows.length; t++) {
            if (listCapacity[t] < 0 || listCapacity[t] > maxRows[t]) {
                throw new IllegalArgumentException("list capacity " + listCapacity[t] + " of tensor " + t
                        + " outside [0, " + maxRows[t] + "]");
            }
            lists[t] = new int[listCapacity[t]];
        }
    }

    /** The number of tensors. */
    public int tensors() {
        return count.length;
    }

    /** The most rows of tensor {@code t} one step may change. */
    public long maxRows(int t) {
        return maxRows[t];
    }

    /** The most ids a list of tensor {@code t} may hold. */
    public int listCapacity(int t) {
        return lists[t].length;
    }

    /** Tensor {@code t}: every row may change. */
    public void setAll(int t) {
        count[t] = ALL;
    }

    /** Tensor {@code t}: no row changes. */
    public void setNone(int t) {
        count[t] = 0;
    }

    /** The list buffer of tensor {@code t}, to be filled with sorted distinct ids and then {@link #setRows}. */
    public int[] buffer(int t) {
        return lists[t];
    }

    /** Tensor {@code t}: the first {@code n} ids of its {@link #buffer} (sorted, distinct) may change. */
    public void setRows(int t, int n) {
        if (n < 0 || n > lists[t].length) {
            throw new IllegalArgumentException(n + " rows listed for tensor " + t + ", at most " + lists[t].length);
        }
        count[t] = n;
    }

    /** Whether every row of tensor {@code t} may change. */
    public boolean all(int t) {
        return count[t] == ALL;
    }

    /** How many rows of tensor {@code t} are listed (0 when none or all: see {@link #all}). */
    public int count(int t) {
        return Math.max(0, count[t]);
    }

    /** The listed rows of tensor {@code t}: the first {@link #count} entries (the live buffer; do not keep it). */
    public int[] rows(int t) {
        return lists[t];
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("RowSets[");
        for (int t = 0; t < count.length; t++) {
            s.append(t == 0 ? "" : ", ").append(all(t) ? "all" : Arrays.toString(Arrays.copyOf(lists[t], count(t))));
        }
        return s.append(']').toString();
    }
}
