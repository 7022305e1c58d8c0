package com.example.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** README's example, compiled by the build against the BOM only and run: it must learn its toy task. */
class QuickstartTest {
    @Test
    void theLayerLearnsAndTheScoresRankTheRightClassFirst() {
        Quickstart.Outcome o = Quickstart.run(300);
        assertEquals("nd4j", o.backend(), "the best backend on this classpath");
        // chance is 1/200 among the classes used and 1/50,000 overall; an untrained layer ranks at random
        assertTrue(o.lastLoss() < 0.5 * o.firstLoss(), () -> "loss " + o.firstLoss() + " -> " + o.lastLoss());
        assertTrue(o.top1() > 0.8, () -> "top-1 accuracy " + o.top1());
    }
}
