package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.output.AdaptiveSoftmaxOutput;
import io.spherical.models.output.DenseSphericalOutput;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.FactoredSphericalOutput;
import io.spherical.models.output.HierarchicalSoftmaxOutput;
import io.spherical.models.output.OutputLayer;
import io.spherical.models.output.SampledSoftmaxOutput;
import io.spherical.models.output.SoftmaxOutput;
import java.util.Map;
import java.util.Random;

/**
 * One full training step of an output layer alone (forward, dL/dH, parameter update) at a given (D, d, m).
 * Layers: {@code factored-z} (factored Z-loss; its stabilisation every 100 steps, drift check every 1,000 and
 * unfactorisation every 10,000 are timed separately and amortised into every reported time; stabilisation is timed
 * doing its most, a rescale and two corrections, see {@link ForcedMaintenance}), {@code dense-z},
 * {@code softmax}, {@code hsm}, {@code sampled} (K chosen from D as in training), {@code adaptive} (cutoffs chosen
 * from D as in training; Zipf targets decide which tail clusters a step visits), and {@code factored:LOSS} /
 * {@code dense:LOSS} for any spherical loss.
 */
public final class LayerBench {
    private LayerBench() {
    }

    /** Zipf-like unigram counts (frequency-sorted ids), for the hierarchical softmax's classes and the targets. */
    static long[] zipfCounts(int vocab) {
        long[] c = new long[vocab];
        for (int i = 0; i < vocab; i++) {
            c[i] = Math.max(1, (long) (1e9 / (i + 1)));
        }
        return c;
    }

    /** Draws Zipf-distributed targets by inverse transform on the harmonic CDF. */
    static void targets(Random r, int vocab, int[] out) {
        double hn = Math.log(vocab) + 0.5772156649;
        for (int i = 0; i < out.length; i++) {
            out[i] = (int) Math.min(vocab - 1, Math.floor(Math.exp(r.nextDouble() * hn - 0.5772156649)));
        }
    }

    /** Standard normal stand-ins for the last hidden layer's activations. */
    static float[] activations(Random r, int n) {
        float[] h = new float[n];
        for (int i = 0; i < n; i++) {
            h[i] = (float) r.nextGaussian();
        }
        return h;
    }

    /** Times one layer. {@code dim} counts the bias (the input is {@code dim - 1} wide). */
    public static BenchResult run(Backend b, String layer, int vocab, int dim, int batch, int warmup, int iterations) {
        int dIn = dim - 1;
        long base = Math.max(0, b.allocatedBytes());
        long[] peak = {base};
        Random r = new Random(7);
        int[] t = new int[batch];
        float[] hf = LayerBench.activations(r, batch * dIn);
        FactoredConfig cfg = FactoredConfig.of(vocab, dIn, batch).withPeriods(0, 0, 0);
        double flops;
        double amortised = 0;
        try (OutputLayer l = create(b, layer, cfg); Tensor h = b.fromHost(hf, batch, dIn); Tensor g = b.zeros(batch, dIn)) {
            StepTimer.sample(b, peak);
            double[] ms = StepTimer.time(b, warmup, iterations, () -> {
                targets(r, vocab, t);
                l.step(h, t, 1e-3f, g);
            }, peak);
            if (l instanceof FactoredSphericalOutput f) {
                amortised = ForcedMaintenance.amortisedMs(b, f, peak, layer + " D=" + vocab);
                flops = factoredFlops(dim, batch, f.widthForm());
            } else if (l instanceof SampledSoftmaxOutput) {
                flops = 2.0 * 3 * batch * dim * (SampledSoftmaxOutput.defaultSamples(vocab) + 1.0);
            } else if (l instanceof AdaptiveSoftmaxOutput) {
                flops = adaptiveFlops(vocab, dim, batch);
            } else if (l instanceof HierarchicalSoftmaxOutput hs) {
                flops = 2.0 * 3 * batch * dim * (hs.classCount() + (double) vocab / hs.classCount());
            } else {
                flops = 2.0 * 3 * (double) vocab * dim * batch;
            }
            double med = StepTimer.median(ms) + amortised;
            double peakMb = b.allocatedBytes() < 0 ? Double.NaN : (peak[0] - base) / (double) (1 << 20);
            return new BenchResult(layer, vocab, dim, batch, med, ms[0] + amortised, ms[ms.length - 1] + amortised,
                    batch / med * 1000, flops / med / 1e6, peakMb);
        }
    }

    /**
     * The factored step's modelled arithmetic (2 flops per multiply-add): in the m x m form (m &lt;= d) about
     * {@code 9 m d^2 + 5 m^2 d + m^3 / 3} (docs/ALGORITHM.md 8); in the d x d form (m &gt; d) ten {@code d x m x d}
     * products and about eleven {@code d x d x d} ones (Newton-Schulz on A, A^-1 U^-1 and Q's second-order term).
     */
    static double factoredFlops(int dim, int batch, boolean widthForm) {
        double m = batch;
        double d = dim;
        return widthForm ? 2.0 * (10.0 * m * d * d + 11.0 * d * d * d)
                : 2.0 * (9.0 * m * d * d + 5.0 * m * m * d + m * m * m / 3);
    }

    /**
     * The adaptive softmax's modelled arithmetic (forward, dL/dH, update: 3 GEMMs of 2 flops per multiply-add): the
     * head for every example, each tail for the examples whose Zipf target falls in it (expected share of the
     * harmonic mass), its projection and its output matrix.
     */
    static double adaptiveFlops(int vocab, int dim, int batch) {
        int[] cut = AdaptiveSoftmaxOutput.defaultCutoffs(vocab);
        double total = 2.0 * 3 * batch * dim * (cut[0] + cut.length);
        double hn = Math.log(vocab) + 0.5772156649;
        for (int c = 0; c < cut.length; c++) {
            int end = c + 1 < cut.length ? cut[c + 1] : vocab;
            double rows = batch * Math.log((double) end / cut[c]) / hn;
            double width = Math.max(1, (dim - 1) / Math.pow(4, c + 1));
            total += 2.0 * 3 * rows * width * (dim + (end - cut[c]));
        }
        return total;
    }

    static OutputLayer create(Backend b, String layer, FactoredConfig cfg) {
        LossRegistry losses = LossRegistry.discover();
        return switch (layer) {
            case "factored-z" -> new FactoredSphericalOutput(b, cfg, losses.create("z-loss", Map.of()));
            case "dense-z" -> new DenseSphericalOutput(b, cfg, losses.create("z-loss", Map.of()));
            case "softmax" -> new SoftmaxOutput(b, cfg.classes(), cfg.inputDim(), cfg.maxBatch(), 1);
            case "hsm" -> new HierarchicalSoftmaxOutput(b, zipfCounts(cfg.classes()), cfg.inputDim(), cfg.maxBatch(), 1);
            case "sampled" -> new SampledSoftmaxOutput(b, cfg.classes(), cfg.inputDim(), cfg.maxBatch(), 1,
                    SampledSoftmaxOutput.defaultSamples(cfg.classes()), true);
            case "adaptive" -> new AdaptiveSoftmaxOutput(b, cfg.classes(), cfg.inputDim(), cfg.maxBatch(),
                    AdaptiveSoftmaxOutput.defaultCutoffs(cfg.classes()), 1);
            default -> {
                if (layer.startsWith("factored:")) {
                    yield new FactoredSphericalOutput(b, cfg, losses.create(layer.substring(9), Map.of()));
                }
                if (layer.startsWith("dense:")) {
                    yield new DenseSphericalOutput(b, cfg, losses.create(layer.substring(6), Map.of()));
                }
                throw new UserException("Unknown layer '" + layer + "'. Fix: use factored-z, dense-z, softmax, hsm, "
                        + "sampled, adaptive, factored:LOSS or dense:LOSS.");
            }
        };
    }
}
