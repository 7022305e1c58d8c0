package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.models.parallel.DataParallelStep;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * One data-parallel training step of the whole network of a preset on the workers of {@code group} (every worker
 * runs this with the same arguments), each with {@code batch} examples of its own: the step time, the bytes each
 * worker sends per step as the collectives compute them from their algorithms' formulas
 * ({@link Collective#bytesSent()}; nothing is measured on the wire), in all and for the output layer alone, and the
 * output layer's parameter rows all-reduced per step (the set S of the sparse layers' row exchange, every row for a
 * dense all-reduce, none for the factored layer). One worker is the ordinary single-process step (nothing sent). Every
 * worker times the same number of steps, so none waits in a collective for a worker that stopped timing.
 */
public final class DistributedBench {
    private DistributedBench() {
    }

    /**
     * A row: the layer, D, N workers, m per worker, the step's median and fastest milliseconds, global examples per
     * second, bytes sent per worker per step in all and for the output layer (computed from the collectives'
     * formulas), and the output layer's parameter rows all-reduced per step (summed over its tensors).
     */
    public record Row(String layer, int vocab, int workers, int batch, double msMedian, double msMin,
                      double examplesPerS, double bytesPerStep, double outputBytesPerStep, double outputRowsPerStep) {
        /** The CSV header. */
        public static final String CSV_HEADER = "layer,vocab,workers,batch_per_worker,ms_median,ms_min,examples_per_s,"
                + "bytes_per_worker_step,output_bytes_per_worker_step,output_rows_per_step";

        /** One CSV line. */
        public String csv() {
            return String.format(Locale.ROOT, "%s,%d,%d,%d,%.3f,%.3f,%.1f,%.0f,%.0f,%.1f", layer, vocab, workers, batch,
                    msMedian, msMin, examplesPerS, bytesPerStep, outputBytesPerStep, outputRowsPerStep);
        }

        /** Parses {@link #csv()}. */
        public static Row parse(String line) {
            String[] f = line.split(",");
            return new Row(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]),
                    Double.parseDouble(f[4]), Double.parseDouble(f[5]), Double.parseDouble(f[6]),
                    Double.parseDouble(f[7]), Double.parseDouble(f[8]), Double.parseDouble(f[9]));
        }
    }

    /** Times {@code iterations} steps after {@code warmup} of the network with output {@code layer} at vocabulary D. */
    public static Row run(Backend b, Collective group, String preset, String layer, int vocab, int batch, int warmup,
                          int iterations) {
        ModelConfig mc = NetworkBench.config(preset, layer);
        int n = group.size();
        // each worker its own examples, as in training: the row exchange's S grows with the distinct targets
        Random r = new Random(3 + 1_000_003L * group.rank());
        int[] ctx = new int[batch * mc.context()];
        int[] t = new int[batch];
        try (NgramLanguageModel m = new NgramLanguageModel(b, mc, NetworkBench.vocabulary(vocab),
                LossRegistry.discover().create("z-loss", Map.of()), OptimizerRegistry.discover().create("sgd", Map.of()),
                DataParallelStep.modelBatch(mc.output(), batch, n));
             DataParallelStep dp = n > 1 ? new DataParallelStep(m, group, batch) : null) {
            Runnable step = () -> {
                LayerBench.targets(r, vocab, ctx);
                LayerBench.targets(r, vocab, t);
                if (dp == null) {
                    m.trainStep(ctx, t, batch, 1e-3f);
                } else {
                    dp.step(ctx, t, batch, 1e-3f);
                }
            };
            for (int i = 0; i < warmup; i++) {
                step.run();
            }
            group.barrier();
            long sent = group.bytesSent();
            long outSent = dp == null ? 0 : dp.outputBytesSent();
            long outRows = dp == null ? 0 : dp.outputRowsExchanged();
            double[] ms = StepTimer.timeEach(b, iterations, () -> { }, step, new long[1]);
            double bytes = (group.bytesSent() - sent) / (double) iterations;
            double outBytes = dp == null ? 0 : (dp.outputBytesSent() - outSent) / (double) iterations;
            double rows = dp == null ? 0 : (dp.outputRowsExchanged() - outRows) / (double) iterations;
            double med = StepTimer.median(ms);
            return new Row(layer, vocab, n, batch, med, ms[0], n * batch / med * 1000, bytes, outBytes, rows);
        }
    }
}
