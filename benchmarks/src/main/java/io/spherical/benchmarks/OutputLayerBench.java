package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.models.loss.ZLoss;
import io.spherical.models.output.DenseSphericalOutput;
import io.spherical.models.output.FactoredConfig;
import io.spherical.models.output.FactoredSphericalOutput;
import io.spherical.models.output.OutputLayer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One training step of the output layer alone (forward, dL/dH, update) at d = 513, m = 200, factored Z-loss against
 * the dense Z-loss, plus the backend's GEMM at the step's shapes; all in one run so that ratios compare like with like.
 *
 * <p>Arguments: {@code [vocab,vocab,...] [repeats] [dense-max-vocab]}; defaults {@code 10000,100000,793471 20 793471}.
 * The factored step's stabilisation (every 100 steps), drift check (every 1,000) and unfactorisation (every 10,000)
 * are timed separately and amortised into the reported step time.
 */
public final class OutputLayerBench {
    private static final int D_IN = 512;
    private static final int M = 200;

    private OutputLayerBench() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int[] vocabs = args.length > 0 ? java.util.Arrays.stream(args[0].split(",")).mapToInt(Integer::parseInt).toArray()
                : new int[] {10_000, 100_000, 793_471};
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int denseMax = args.length > 2 ? Integer.parseInt(args[2]) : 793_471;
        try (Backend b = BackendDiscovery.discover().create(null)) {
            System.out.println("backend: " + b.name() + " on " + b.device());
            double gemmSmall = gemm(b, 513, 513, 200, false, repeats);
            System.out.printf("gemm 513x513x200 (U update shape): %.1f GFLOP/s%n", gemmSmall);
            double gemmLarge = gemm(b, 200, vocabs[vocabs.length - 1], 513, true, 3);
            System.out.printf("gemm 200x%dx513 (dense output layer product): %.1f GFLOP/s%n", vocabs[vocabs.length - 1], gemmLarge);
            List<String> rows = new ArrayList<>();
            double factoredFirst = Double.NaN;
            for (int vocab : vocabs) {
                double[] f = factored(b, vocab, repeats);
                if (Double.isNaN(factoredFirst)) {
                    factoredFirst = f[0];
                }
                double flops = factoredFlops();
                rows.add(String.format("| factored z-loss | %,d | %.2f | %.2f | %.1f | %.0f%% | %.2fx |", vocab, f[1], f[0],
                        flops / f[0] / 1e6, 100 * (flops / f[0] / 1e6) / gemmSmall, f[0] / factoredFirst));
                System.out.printf("factored D=%d: step median %.2f ms, amortised %.2f ms (stabilise %.1f ms/100, drift %.1f ms/1000,"
                        + " unfactorise %.0f ms/10000)%n", vocab, f[1], f[0], f[2], f[3], f[4]);
                if (vocab <= denseMax) {
                    double dense = dense(b, vocab, vocab > 200_000 ? 3 : 5);
                    double dflops = 2.0 * 3 * vocab * 513.0 * M;
                    rows.add(String.format("| dense z-loss | %,d | %.2f | %.2f | %.1f | | %.0fx slower |", vocab, dense, dense,
                            dflops / dense / 1e6, dense / f[0]));
                    System.out.printf("dense D=%d: step median %.1f ms%n", vocab, dense);
                }
            }
            System.out.println();
            System.out.println("| layer | D | step median (ms) | amortised (ms) | GFLOP/s | of gemm 513x513x200 | vs first D |");
            System.out.println("|---|---|---|---|---|---|---|");
            rows.forEach(System.out::println);
        }
    }

    /** Multiply-adds x 2 of one factored step as implemented: 9 m d^2 + 5 m^2 d + m^3 / 3 (SPEC.md 8). */
    static double factoredFlops() {
        double d = 513;
        return 2 * (9 * M * d * d + 5.0 * M * M * d + M * (double) M * M / 3);
    }

    private static double gemm(Backend b, int m, int n, int k, boolean transB, int repeats) {
        Random r = new Random(1);
        try (Tensor a = random(b, r, m, k); Tensor bb = transB ? random(b, r, n, k) : random(b, r, k, n);
             Tensor c = b.zeros(m, n)) {
            double ms = Timing.median(Timing.measure(2, repeats, () -> b.gemm(1f, a, false, bb, transB, 0f, c)));
            return 2.0 * m * n * k / ms / 1e6;
        }
    }

    private static Tensor random(Backend b, Random r, int rows, int cols) {
        Tensor t = b.zeros(rows, cols);
        int block = Math.max(1, (1 << 20) / cols);
        float[] buf = new float[block * cols];
        for (int r0 = 0; r0 < rows; r0 += block) {
            int r1 = Math.min(rows, r0 + block);
            for (int i = 0; i < (r1 - r0) * cols; i++) {
                buf[i] = (float) (r.nextDouble() - 0.5);
            }
            b.upload(buf, t.rowRange(r0, r1));
        }
        return t;
    }

    /** {amortised ms, median step ms, stabilise ms, drift ms, unfactorise ms}. */
    private static double[] factored(Backend b, int vocab, int repeats) {
        FactoredConfig cfg = FactoredConfig.of(vocab, D_IN, M).withPeriods(0, 0, 0);
        try (FactoredSphericalOutput f = new FactoredSphericalOutput(b, cfg, new ZLoss());
             Tensor h = random(b, new Random(2), M, D_IN); Tensor g = b.zeros(M, D_IN)) {
            Random r = new Random(3);
            int[] t = new int[M];
            double step = Timing.median(Timing.measure(5, repeats, () -> {
                for (int i = 0; i < M; i++) {
                    t[i] = r.nextInt(vocab);
                }
                f.step(h, t, 0.01f, g);
            }));
            double stab = Timing.median(Timing.measure(1, 3, f::stabilise));
            double drift = Timing.median(Timing.measure(1, 3, f::measureDrift));
            double unf = Timing.median(Timing.measure(0, 1, f::unfactorise));
            double amortised = step + stab / 100 + drift / 1000 + unf / 10_000;
            return new double[] {amortised, step, stab, drift, unf};
        }
    }

    private static double dense(Backend b, int vocab, int repeats) {
        FactoredConfig cfg = FactoredConfig.of(vocab, D_IN, M);
        try (OutputLayer f = new DenseSphericalOutput(b, cfg, new ZLoss());
             Tensor h = random(b, new Random(2), M, D_IN); Tensor g = b.zeros(M, D_IN)) {
            Random r = new Random(3);
            int[] t = new int[M];
            return Timing.median(Timing.measure(1, repeats, () -> {
                for (int i = 0; i < M; i++) {
                    t[i] = r.nextInt(vocab);
                }
                f.step(h, t, 1e-4f, g);
            }));
        }
    }
}
