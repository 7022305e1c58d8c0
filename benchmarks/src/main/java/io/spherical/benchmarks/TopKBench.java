package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.FactoredSphericalOutput;
import io.spherical.models.output.TopK;
import java.util.Map;
import java.util.Random;

/**
 * Exact top k over a factored layer of D classes ({@link TopK}: scores in blocks of at most 32M floats, a heap per
 * row) against its two floors, measured in the same run: the D x d x m GEMM alone in the same blocks (batch > 1), and
 * one pass over a D x d weight matrix (a matrix-vector product, bound by memory bandwidth; batch 1).
 */
public final class TopKBench {
    /** Floats of scores held at once, as in prediction. */
    static final long SCORE_BUDGET = 32L << 20;

    private TopKBench() {
    }

    /** One row: medians in ms of top-k, of the GEMM alone and of one pass over the weights; and that pass's GB/s. */
    public record Row(int vocab, int dim, int batch, int k, double topKMs, double gemmMs, double readMs, double gbPerS) {
        /** Top-k time over its floor: the GEMM for batches, one pass over the weights for batch 1. */
        public double ratio() {
            return topKMs / (batch == 1 ? readMs : gemmMs);
        }
    }

    /** Times top k at D = {@code vocab}, d = {@code dim} (bias included), {@code batch} contexts. */
    public static Row run(Backend b, int vocab, int dim, int batch, int k, int iterations) {
        Random r = new Random(11);
        int dIn = dim - 1;
        int block = (int) Math.max(1, Math.min(batch, SCORE_BUDGET / vocab));
        FactoredConfig cfg = FactoredConfig.of(vocab, dIn, batch).withPeriods(0, 0, 0);
        long[] peak = {0};
        float[] host = new float[block * vocab];
        double[] offsets = new double[batch];
        try (FactoredSphericalOutput layer = new FactoredSphericalOutput(b, cfg, LossRegistry.discover().create("z-loss",
                Map.of()));
             Tensor h = b.fromHost(LayerBench.activations(r, batch * dIn), batch, dIn);
             Tensor hb = b.fromHost(LayerBench.activations(r, batch * dim), batch, dim);
             Tensor w = b.fromHost(LayerBench.activations(r, vocab * dim), vocab, dim);
             Tensor buffer = b.zeros(block, vocab)) {
            double[] topMs = StepTimer.time(b, 1, iterations, () -> TopK.rows(b, layer, h, k, buffer, host, offsets), peak);
            double[] gemmMs = StepTimer.time(b, 1, iterations, () -> {
                for (int from = 0; from < batch; from += block) {
                    int n = Math.min(block, batch - from);
                    b.gemm(1f, hb.rowRange(from, from + n), false, w, true, 0f, buffer.rowRange(0, n));
                }
            }, peak);
            double[] readMs = StepTimer.time(b, 1, iterations, () -> b.gemm(1f, hb.rowRange(0, 1), false, w, true, 0f,
                    buffer.rowRange(0, 1)), peak);
            double read = StepTimer.median(readMs);
            return new Row(vocab, dim, batch, k, StepTimer.median(topMs), StepTimer.median(gemmMs), read,
                    4.0 * vocab * dim / (read / 1e3) / 1e9);
        }
    }
}
