package io.spherical.training;

/**
 * One line of {@code metrics.csv}: a split's metrics after an epoch.
 *
 * @param epoch              1-based epoch
 * @param trainLoss          mean training loss of the epoch
 * @param metrics            the split's metrics
 * @param examplesPerSecond  training throughput of the epoch
 * @param seconds            wall time of the epoch's training pass
 */
public record HistoryRow(int epoch, double trainLoss, Metrics metrics, double examplesPerSecond, double seconds) {
}
