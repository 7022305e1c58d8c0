package io.spherical.models.output;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The heap selection against a full sort, with many ties, for k from 1 to past the row's length. */
class TopKTest {
    @Test
    void theHeapSelectsWhatSortingSelects() {
        Random r = new Random(3);
        for (int trial = 0; trial < 300; trial++) {
            int n = 1 + r.nextInt(400);
            float[] row = new float[n + 5];
            for (int i = 0; i < n; i++) {
                row[i] = r.nextInt(4) == 0 ? (float) r.nextInt(5) : (float) r.nextGaussian();     // ties
            }
            row[n] = Float.MAX_VALUE;        // past n: must be ignored
            int k = 1 + r.nextInt(n + 3);
            int[] expected = IntStream.range(0, n).boxed()
                    .sorted(Comparator.<Integer>comparingDouble(i -> -row[i]).thenComparing(i -> i))
                    .limit(k).mapToInt(Integer::intValue).toArray();
            assertArrayEquals(expected, TopK.of(row, n, k), "n " + n + " k " + k);
        }
    }

    @Test
    void rankingScoresPlusTheirRowOffsetsAreTheScores() {
        try (io.spherical.api.Backend b = io.spherical.api.BackendDiscovery.discover().create("nd4j")) {
            FactoredConfig cfg = FactoredConfig.of(300, 7, 5).withPeriods(0, 0, 0);
            Random r = new Random(8);
            float[] w0 = new float[300 * cfg.width()];
            for (int i = 0; i < w0.length; i++) {
                w0[i] = (float) r.nextGaussian();
            }
            float[] hv = new float[5 * 7];
            for (int i = 0; i < hv.length; i++) {
                hv[i] = (float) r.nextGaussian();
            }
            try (FactoredSphericalOutput f = new FactoredSphericalOutput(b, cfg,
                    io.spherical.models.loss.LossRegistry.discover().create("z-loss", java.util.Map.of()), w0);
                 io.spherical.api.Tensor h = b.fromHost(hv, 5, 7); io.spherical.api.Tensor full = b.zeros(5, 300);
                 io.spherical.api.Tensor rank = b.zeros(5, 300)) {
                f.step(h, new int[] {1, 2, 3, 4, 5}, 0.1f, null);      // a step moves omega off zero
                f.scores(h, full);
                double[] off = new double[5];
                f.rankingScores(h, rank, off);
                float[] a = b.toHost(full);
                float[] c = b.toHost(rank);
                double spread = 0;
                for (int i = 0; i < 5; i++) {
                    spread += Math.abs(off[i]);
                    for (int j = 0; j < 300; j++) {
                        org.junit.jupiter.api.Assertions.assertEquals(a[i * 300 + j], c[i * 300 + j] + off[i],
                                1e-5 * Math.max(1, Math.abs(a[i * 300 + j])), i + "," + j);
                    }
                }
                org.junit.jupiter.api.Assertions.assertTrue(spread > 0, "the bias term is not zero here");
                assertArrayEquals(TopK.of(a, 300, 10), TopK.of(c, 300, 10), "the same ranking of row 0");
            }
        }
    }
}
