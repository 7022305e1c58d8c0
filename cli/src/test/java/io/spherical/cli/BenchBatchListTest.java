package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code bench layer --batch} takes a list of minibatch sizes and reports one row per (layer, vocabulary, minibatch),
 * so that the growth of the factored step with m can be shown in one run (across its m x m and d x d forms).
 */
class BenchBatchListTest {

    private static String[] run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new String[] {Integer.toString(code), out.toString(), err.toString()};
    }

    @Test
    void everyBatchSizeOfTheListIsTimedAndReported() {
        // d = 17: m = 8 takes the step's m x m form, m = 40 and 80 its d x d form
        String[] r = run("bench", "layer", "--layers", "factored-z,softmax", "--vocab", "300", "--dim", "17",
                "--batch", "8,40,80", "--warmup", "1", "--iterations", "2", "--format", "csv");
        assertEquals("0", r[0], r[2]);
        String[] lines = r[1].strip().split("\n");
        assertEquals("layer,vocab,dim,batch,ms_median,ms_min,ms_max,examples_per_s,gflops,peak_mb", lines[0]);
        assertEquals(1 + 3 * 2, lines.length, r[1]);
        List<String> seen = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            String[] f = lines[i].split(",");
            seen.add(f[0] + "@" + f[3]);
            assertTrue(Double.parseDouble(f[4]) > 0, "a per-step time for " + lines[i]);
        }
        assertEquals(List.of("factored-z@8", "softmax@8", "factored-z@40", "softmax@40", "factored-z@80", "softmax@80"),
                seen);
        assertTrue(r[2].contains("factored-z D=300 m=80:"), r[2]);
    }

    @Test
    void aBatchSizeBelowOneIsRefusedInOneLine() {
        String[] r = run("bench", "layer", "--layers", "softmax", "--vocab", "300", "--batch", "8,0");
        assertTrue(!"0".equals(r[0]), "refused");
        assertTrue(r[2].contains("--batch sizes and --iterations must be >= 1") && r[2].contains("Fix:"), r[2]);
    }
}
