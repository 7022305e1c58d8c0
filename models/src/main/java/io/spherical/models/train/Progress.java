package io.spherical.models.train;

/**
 * Where training stands, saved in every checkpoint so that a resumed run continues exactly.
 *
 * @param epoch        current epoch (0-based)
 * @param chunk        index into the epoch's chunk order
 * @param offset       index into the chunk's example order
 * @param doneInEpoch  examples trained in this epoch
 * @param step         minibatches trained in all
 * @param lossSum      sum of minibatch losses in this epoch
 * @param lossCount    minibatches in this epoch
 * @param lrScale      multiplier applied by the plateau schedule
 * @param bestTop10    best validation top-10 error so far
 * @param badEpochs    epochs since the best
 * @param finished     whether training has ended (by epochs or early stopping)
 */
public record Progress(int epoch, int chunk, long offset, long doneInEpoch, long step, double lossSum, long lossCount,
                       double lrScale, double bestTop10, int badEpochs, boolean finished) {

    /** The start of a run. */
    public static Progress start() {
        return new Progress(0, 0, 0, 0, 0, 0, 0, 1.0, Double.POSITIVE_INFINITY, 0, false);
    }
}
