package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import java.util.Locale;
import java.util.Random;

/**
 * GFLOP/s of the backend's GEMM at the two shapes that matter: 513x513x200 (the factored layer's d x d updates) and
 * 200 x D x 513 (the dense output layer's product at vocabulary D). Arguments: {@code [D] [repeats]}.
 */
public final class GemmBench {
    private GemmBench() {
    }

    public static void main(String[] args) {
        Locale.setDefault(Locale.ROOT);
        int vocab = args.length > 0 ? Integer.parseInt(args[0]) : 793_471;
        int repeats = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        try (Backend b = BackendDiscovery.discover().create(null)) {
            System.out.println("backend: " + b.name() + " on " + b.device());
            System.out.printf("gemm 513x513x200 (C = A^T B, the factored update's shape): %.1f GFLOP/s%n",
                    gemm(b, 513, 513, 200, true, false, repeats));
            System.out.printf("gemm 200x%dx513 (O = H W^T, the dense output layer's product): %.1f GFLOP/s%n", vocab,
                    gemm(b, 200, vocab, 513, false, true, Math.max(3, repeats / 5)));
        }
    }

    static double gemm(Backend b, int m, int n, int k, boolean transA, boolean transB, int repeats) {
        Random r = new Random(1);
        try (Tensor a = random(b, r, transA ? k : m, transA ? m : k); Tensor bb = random(b, r, transB ? n : k, transB ? k : n);
             Tensor c = b.zeros(m, n)) {
            double ms = Timing.median(Timing.measure(2, repeats, () -> {
                b.gemm(1f, a, transA, bb, transB, 0f, c);
                b.synchronize();
            }));
            return 2.0 * m * n * k / ms / 1e6;
        }
    }

    static Tensor random(Backend b, Random r, int rows, int cols) {
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
}
