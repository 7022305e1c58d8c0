package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.OutputLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Where one training step of an output layer spends its time: per backend operation and shape, and on the host
 * between operations (the layer's own Java code: small m x m matrices, index bookkeeping). The same step as
 * {@link LayerBench}, run on a {@link ProfilingBackend}; each operation is followed by a synchronisation, so the
 * total is a little above an unprofiled step.
 */
public final class StepProfile {
    /** One line of a profile: an operation at one shape (or the host time), per training step. */
    public record Row(String what, double callsPerStep, double msPerStep) {
    }

    private StepProfile() {
    }

    /** Profiles {@code iterations} steps after {@code warmup} unrecorded ones; the last row is the total. */
    public static List<Row> of(Backend b, String layer, int vocab, int dim, int batch, int warmup, int iterations) {
        int dIn = dim - 1;
        ProfilingBackend p = new ProfilingBackend(b);
        Random r = new Random(7);
        int[] t = new int[batch];
        float[] hf = LayerBench.activations(r, batch * dIn);
        FactoredConfig cfg = FactoredConfig.of(vocab, dIn, batch).withPeriods(0, 0, 0);
        List<Row> rows = new ArrayList<>();
        try (OutputLayer l = LayerBench.create(p, layer, cfg); Tensor h = b.fromHost(hf, batch, dIn);
             Tensor g = b.zeros(batch, dIn)) {
            for (int i = 0; i < warmup; i++) {
                LayerBench.targets(r, vocab, t);
                l.step(h, t, 1e-3f, g);
            }
            p.synchronize();
            long total = 0;
            for (int i = 0; i < iterations; i++) {
                LayerBench.targets(r, vocab, t);
                p.recording(true);
                long t0 = System.nanoTime();
                l.step(h, t, 1e-3f, g);
                p.synchronize();
                total += System.nanoTime() - t0;
                p.recording(false);
            }
            long ops = 0;
            for (ProfilingBackend.Entry e : p.entries()) {
                rows.add(new Row(e.op(), e.calls() / (double) iterations, e.nanos() / 1e6 / iterations));
                ops += e.nanos();
            }
            rows.add(new Row("host code between operations", 0, (total - ops) / 1e6 / iterations));
            rows.add(new Row("total", 0, total / 1e6 / iterations));
        }
        return rows;
    }

    /** A markdown table: operation, calls per step, ms per step, share of the total. */
    public static String format(String title, List<Row> rows) {
        double total = rows.get(rows.size() - 1).msPerStep();
        StringBuilder s = new StringBuilder("\n" + title + "\n\n| operation | calls/step | ms/step | share |\n"
                + "|---|---:|---:|---:|\n");
        for (Row r : rows) {
            s.append(String.format(Locale.ROOT, "| %s | %s | %.3f | %.1f%% |%n", r.what(),
                    r.callsPerStep() == 0 ? "" : String.format(Locale.ROOT, "%.1f", r.callsPerStep()), r.msPerStep(),
                    100 * r.msPerStep() / total));
        }
        return s.toString();
    }
}
