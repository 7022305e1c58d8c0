package io.spherical.models.output;

import java.util.Arrays;

/**
 * Numbers the distinct targets of a minibatch 0, 1, ... in the order they first appear, so that the examples sharing
 * a target can be summed into one row (the {@code [c_i = c_j]} term of the factored step's Q update, in its d x d
 * form). An open-addressing table sized once for the largest minibatch and cleared by a generation stamp: O(m) per
 * minibatch and nothing allocated.
 */
final class TargetGroups {
    private final int[] keys;
    private final int[] values;
    private final int[] stamps;
    private final int mask;
    private int generation;

    /** A table for minibatches of up to {@code maxBatch} examples (at most half full). */
    TargetGroups(int maxBatch) {
        if (maxBatch < 1 || maxBatch > 1 << 29) {
            throw new IllegalArgumentException("minibatches of 1 to 2^29 examples, got " + maxBatch);
        }
        int capacity = Integer.highestOneBit(2 * maxBatch - 1) << 1;      // the smallest power of two >= 2 maxBatch
        keys = new int[capacity];
        values = new int[capacity];
        stamps = new int[capacity];
        mask = capacity - 1;
    }

    /**
     * Writes into {@code groups[i]} the number of the group of {@code targets[i]} for i &lt; m and returns the number
     * of groups (m when every target is distinct; then {@code groups[i] = i}).
     */
    int number(int[] targets, int m, int[] groups) {
        if (m > keys.length / 2) {
            throw new IllegalArgumentException("minibatch of " + m + " examples; this table holds " + keys.length / 2);
        }
        generation++;
        if (generation == 0) {                      // wrapped after 2^32 minibatches: old stamps could match again
            Arrays.fill(stamps, 0);
            generation = 1;
        }
        int n = 0;
        for (int i = 0; i < m; i++) {
            int t = targets[i];
            int slot = mix(t) & mask;
            while (stamps[slot] == generation && keys[slot] != t) {
                slot = (slot + 1) & mask;
            }
            if (stamps[slot] != generation) {
                stamps[slot] = generation;
                keys[slot] = t;
                values[slot] = n++;
            }
            groups[i] = values[slot];
        }
        return n;
    }

    /** Spreads consecutive ids over the table (Fibonacci hashing). */
    private static int mix(int x) {
        int h = x * 0x9E3779B9;
        return h ^ (h >>> 16);
    }
}
