package io.spherical.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A profile accounts for the whole step: operations plus host time add up to the total, with the right counts. */
class StepProfileTest {
    @Test
    void theSoftmaxStepIsThreeGemmsAndTheRowsAddUp() {
        try (Backend b = BackendDiscovery.discover().create("nd4j")) {
            List<StepProfile.Row> rows = StepProfile.of(b, "softmax", 300, 33, 16, 1, 4);
            StepProfile.Row total = rows.get(rows.size() - 1);
            assertEquals("total", total.what());
            double sum = rows.subList(0, rows.size() - 1).stream().mapToDouble(StepProfile.Row::msPerStep).sum();
            assertEquals(total.msPerStep(), sum, 1e-9 * Math.max(1, total.msPerStep()));
            double gemms = rows.stream().filter(r -> r.what().startsWith("gemm")).mapToDouble(StepProfile.Row::callsPerStep).sum();
            assertEquals(3.0, gemms, "scores, dL/dH and the weight update: " + rows);
            assertTrue(rows.stream().anyMatch(r -> r.what().equals("gemm NT 16x300x33")), rows.toString());
            assertTrue(StepProfile.format("t", rows).contains("| total |"));
        }
    }
}
