package io.spherical.models.output;

import io.spherical.api.Tensor;

/**
 * The last layer of a network with many classes: a training step on (H, targets) that returns the loss,
 * writes dL/dH for the layers below and updates the layer, and a scoring call that produces every output.
 *
 * <p>H is {@code m x inputDim()} with one example per row; the minibatch loss is the MEAN over its examples, so
 * dL/dH and the update are those of the mean.
 */
public interface OutputLayer extends AutoCloseable {

    /** Its sizes. */
    OutputShape shape();

    /** Width of H (without any bias column the layer adds itself). */
    default int inputDim() {
        return shape().inputDim();
    }

    /** D, the number of classes. */
    default int classes() {
        return shape().classes();
    }

    /** The largest minibatch the layer's buffers hold. */
    default int maxBatch() {
        return shape().maxBatch();
    }

    /**
     * One training step.
     *
     * @param h         {@code m x inputDim()} activations, m &lt;= {@link #maxBatch()}
     * @param targets   m class indices in [0, D)
     * @param eta       the SGD step size
     * @param gradOut   receives dL/dH ({@code m x inputDim()}), or null when no layer below needs it
     * @return the mean loss of the minibatch before the update
     */
    double step(Tensor h, int[] targets, float eta, Tensor gradOut);

    /** Per-example losses without any update (for evaluation); writes {@code losses[0..m)}. */
    void losses(Tensor h, int[] targets, double[] losses);

    /** Every output for a batch: {@code out} is {@code m x classes()}; higher means more likely. */
    void scores(Tensor h, Tensor out);

    /**
     * The scores up to a constant per row, which goes to {@code rowOffsets[0..m)}: the ranking of every row is that of
     * {@link #scores}, and score = out + offset. A layer whose scores carry such a term (the factored layer's bias)
     * skips a pass over the m x D block; by default the full scores and zero offsets.
     */
    default void rankingScores(Tensor h, Tensor out, double[] rowOffsets) {
        scores(h, out);
        java.util.Arrays.fill(rowOffsets, 0, h.rows(), 0.0);
    }

    /** Whether {@code exp(-loss)} is a normalised probability (perplexity defined). */
    boolean normalised();

    /** The layer's parameters and state as named live tensors (checkpoints read and restore them in place). */
    java.util.Map<String, Tensor> state();

    /** Steps taken, for layers whose schedule depends on it (0 otherwise). */
    default long counter() {
        return 0;
    }

    /** Restores the step counter after a checkpoint is loaded. */
    default void restoreCounter(long steps) {
    }

    /**
     * Counters of the layer's safety mechanisms since it was built (for the factored layer: steps reduced by the step
     * control, exact recomputations, host solves, stabilisation corrections and rescales); empty for other layers.
     */
    default java.util.Map<String, Long> diagnostics() {
        return java.util.Map.of();
    }

    /** Releases device memory. */
    @Override
    void close();
}
