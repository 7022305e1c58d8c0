package io.spherical.training;

import java.util.List;

/**
 * One line of {@code metrics.csv}: a split's metrics after an epoch.
 *
 * @param epoch              1-based epoch
 * @param trainLoss          mean training loss of the epoch
 * @param metrics            the split's metrics
 * @param examplesPerSecond  training throughput of the epoch
 * @param seconds            wall time of the epoch's training pass
 * @param controlledSteps    steps the factored layer's step control had scaled down by the end of the epoch, since
 *                           the run started (0 for other output layers and in runs recorded before it was kept)
 * @param hostSolves         direct solves the factored layer had taken by the end of the epoch, since the run started
 */
public record HistoryRow(int epoch, double trainLoss, Metrics metrics, double examplesPerSecond, double seconds,
                         long controlledSteps, long hostSolves) {

    /** A row without the output layer's counters. */
    public HistoryRow(int epoch, double trainLoss, Metrics metrics, double examplesPerSecond, double seconds) {
        this(epoch, trainLoss, metrics, examplesPerSecond, seconds, 0, 0);
    }

    /** The row's validation top-10 error. */
    public double top10() {
        return metrics.topKError().get(10);
    }

    /**
     * The index of the best row: the lowest validation top-10 error, the <b>earliest</b> of tied rows (the one rule of
     * the project, used by early stopping, the protocol's snapshots and its "seconds to best"); -1 when empty.
     */
    public static int best(List<HistoryRow> rows) {
        int best = -1;
        for (int i = 0; i < rows.size(); i++) {
            if (best < 0 || rows.get(i).top10() < rows.get(best).top10()) {
                best = i;
            }
        }
        return best;
    }

    /** Whether the last row is the best so far by {@link #best}: strictly better than every earlier row. */
    public static boolean lastIsBest(List<HistoryRow> rows) {
        return !rows.isEmpty() && best(rows) == rows.size() - 1;
    }
}
