package io.spherical.training;

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

    /** After a minibatch of m examples with loss l, ending at {@code offset} of chunk {@code chunk}. */
    Progress afterBatch(int chunk, long offset, int m, double l) {
        return new Progress(epoch, chunk, offset, doneInEpoch + m, step + 1, lossSum + l, lossCount + 1, lrScale,
                bestTop10, badEpochs, false);
    }

    /** At the start of chunk {@code next} of the epoch's order. */
    Progress nextChunk(int next) {
        return new Progress(epoch, next, 0, doneInEpoch, step, lossSum, lossCount, lrScale, bestTop10, badEpochs,
                false);
    }

    /** At the start of the next epoch, with the schedule's scale and the validation record. */
    Progress nextEpoch(double scale, double best, int bad, boolean done) {
        return new Progress(epoch + 1, 0, 0, 0, step, 0, 0, scale, best, bad, done);
    }

    /** A finished run opened again for more epochs. */
    /** The same epoch from its beginning (its examples so far forgotten), the step count and schedule kept. */
    Progress restartEpoch() {
        return new Progress(epoch, 0, 0, 0, step, 0, 0, lrScale, bestTop10, badEpochs, finished);
    }

    Progress reopened() {
        return new Progress(epoch, 0, 0, 0, step, 0, 0, lrScale, bestTop10, 0, false);
    }
}
