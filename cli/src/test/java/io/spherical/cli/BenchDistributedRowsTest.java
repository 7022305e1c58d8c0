package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.models.output.SampledSoftmaxOutput;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * {@code bench distributed} runs the sparse layers with their row exchange: on 2 workers of m examples, the output
 * layer's bytes per worker per step are exactly the targets' all-gather ((N - 1) m ints), the all-reduce of the S
 * rows it reports (2 (N - 1) / N S (h + 1) floats: every tensor of sampled and hierarchical softmax is h + 1 wide)
 * and the loss (one float); S holds the K negatives and at most N m more rows for sampled softmax, and stays below
 * D for both (16 targets cannot reach every class of the hierarchical softmax).
 */
class BenchDistributedRowsTest {
    @Test
    void theSparseLayersSendTheRowsTheyReportAndNoMore() {
        int vocab = 2000;
        int m = 8;
        int h = 256;                                          // the brown preset's last hidden width
        CliTest.Run r = CliTest.run("bench", "distributed", "--workers", "2", "--layers", "sampled,hsm",
                "--vocab", "" + vocab, "--preset", "brown", "--batch", "" + m, "--warmup", "0", "--iterations", "1",
                "--format", "csv");
        assertEquals(0, r.code(), r.err());
        Map<String, double[]> rows = new TreeMap<>();
        for (String line : r.out().strip().split("\n")) {
            String[] f = line.split(",");
            if (!f[0].equals("layer")) {
                rows.put(f[0], new double[] {Double.parseDouble(f[8]), Double.parseDouble(f[9])});
            }
        }
        assertEquals(2, rows.size(), r.out());
        for (String layer : rows.keySet()) {
            double bytes = rows.get(layer)[0];
            double s = rows.get(layer)[1];
            assertEquals(m * 4.0 + s * (h + 1) * 4 + 4, bytes, layer + ": " + r.out());
            assertTrue(s > 0 && s < vocab, layer + " exchanged " + s + " rows, D is " + vocab + ": " + r.out());
        }
        int k = SampledSoftmaxOutput.defaultSamples(vocab);
        double sampled = rows.get("sampled")[1];
        assertTrue(sampled >= k && sampled <= k + 2 * m, "S of sampled softmax: " + sampled + ", K = " + k);
    }
}
