package io.spherical.models.output;

/**
 * An output layer whose training step changes only some rows of its parameters, and which can say which ones before
 * the step from the targets alone: sampled softmax (the K negatives drawn for the step and the targets' rows),
 * hierarchical softmax (the class matrix and the word blocks of the classes present), adaptive softmax (the head, and
 * the projection and tail of each cluster that holds a target). The data-parallel row exchange asks it for the rows
 * any worker's step on the global minibatch may change and all-reduces only those.
 *
 * <p>A layer must report every row its next {@link OutputLayer#step} on a subset of the given targets may change
 * (more is allowed, never fewer), without changing anything the step depends on (a layer that draws at random draws
 * as the step will, from the same state, and the step does not draw again).
 */
public interface SparseUpdate {

    /**
     * A {@link RowSets} for steps on global minibatches of at most {@code targets} examples, each tensor's bound being
     * the layer's worst case for that many targets (called once; the sets are refilled by {@link #touched}).
     */
    RowSets rowSets(int targets);

    /**
     * Writes into {@code out} (made by {@link #rowSets} for at least {@code count} targets) the rows that the next
     * step on any subset of {@code targets[0, count)} may change, for every tensor of {@link OutputLayer#state()}.
     */
    void touched(int[] targets, int count, RowSets out);
}
