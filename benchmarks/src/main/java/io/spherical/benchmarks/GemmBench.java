package io.spherical.benchmarks;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import java.util.Locale;
import java.util.Random;

/**
 * GFLOP/s of the backend's GEMM at the shapes that matter: 513x513x200 and 200x513x513 with the transposes of the
 * factored layer's updates and products, 200x2048x2048 and 200x5120x2048 (the hidden layers of the One Billion Word
 * network), and 200 x D x 513 (the dense output layer's product at vocabulary D). Arguments: {@code [D] [repeats]}.
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
            // m, n, k, transA, transB: the factored layer's d x d updates and products, the hidden layers of the 1bw
            // network, and the dense output layer's product at vocabulary D
            int[][] shapes = {{513, 513, 200, 1, 0}, {200, 513, 513, 0, 0}, {200, 513, 513, 0, 1}, {200, 2048, 2048, 0, 1},
                {200, 5120, 2048, 0, 1}, {200, vocab, 513, 0, 1}};
            for (int[] sh : shapes) {
                boolean big = (long) sh[0] * sh[1] * sh[2] > 1L << 30;
                System.out.printf("gemm %s%s %dx%dx%d: %.1f GFLOP/s%n", sh[3] == 1 ? "T" : "N", sh[4] == 1 ? "T" : "N",
                        sh[0], sh[1], sh[2], gemm(b, sh[0], sh[1], sh[2], sh[3] == 1, sh[4] == 1,
                                big ? Math.max(3, repeats / 5) : repeats));
            }
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
