package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The plain and quiet forms of {@link Progress} with a clock the test moves (no waiting). */
class ProgressTest {
    private final long[] now = {0};
    private final StringWriter text = new StringWriter();

    private Progress progress(Progress.Mode mode, long period) {
        return new Progress(new PrintWriter(text, true), mode, period, () -> now[0]);
    }

    private List<String> lines() {
        String s = text.toString();
        return s.isEmpty() ? List.of() : List.of(s.split("\n"));
    }

    @Test
    void plainWritesOneWholeLinePerPeriod() {
        Progress p = progress(Progress.Mode.PLAIN, 100);
        p.epochStarted(1, 10_000);
        for (int i = 1; i <= 1000; i++) {     // 1,000 steps of 7 ns: 7,000 ns, 70 periods of 100 ns
            now[0] += 7;
            p.batchDone(i * 10L, 2.5);
        }
        p.epochTrained(1);
        List<String> lines = lines();
        assertEquals(70, lines.size(), text.toString());
        assertFalse(text.toString().contains("\r"), "no carriage return");
        for (String line : lines) {
            assertTrue(line.matches("epoch 1: [\\d,]+/10,000 examples \\(\\d+%\\), [\\d,]+ ex/s, loss 2\\.5000(, ETA \\d+:\\d\\d)?"),
                    line);
        }
        // the first line is due after one period: 100 ns, at step 15 (105 ns), 150 examples at 150 / 105e-9 ex/s
        assertTrue(lines.get(0).startsWith("epoch 1: 150/10,000 examples (2%), "), lines.get(0));
        assertTrue(lines.get(69).startsWith("epoch 1: 10,000/10,000 examples (100%)"), lines.get(69));
    }

    @Test
    void aStepLongerThanSeveralPeriodsGivesOneLineAndTheGridGoesOn() {
        Progress p = progress(Progress.Mode.PLAIN, 100);
        p.epochStarted(2, 1000);
        now[0] = 450;
        p.batchDone(100, 1.0);               // 4.5 periods late: one line
        now[0] = 499;
        p.batchDone(200, 1.0);               // the next is due at 500
        now[0] = 500;
        p.batchDone(300, 1.0);
        assertEquals(2, lines().size(), text.toString());
    }

    @Test
    void statusLinesDoNotStopThePlainLinesOfATask() {
        Progress p = progress(Progress.Mode.PLAIN, 100);
        p.evaluationStarted("valid", 400);
        now[0] = 100;
        p.evaluated(100);
        p.status("checkpoint written");
        now[0] = 200;
        p.evaluated(200);
        p.evaluationEnded("valid");
        now[0] = 300;
        p.evaluated(300);                    // after the task ended: nothing
        List<String> lines = lines();
        assertEquals(3, lines.size(), text.toString());
        assertTrue(lines.get(0).startsWith("eval valid: 100/400 examples (25%), ") && lines.get(0).contains("ETA"),
                lines.get(0));
        assertFalse(lines.get(0).contains("loss"), "evaluation lines carry no training loss: " + lines.get(0));
        assertEquals("checkpoint written", lines.get(1));
        assertTrue(lines.get(2).startsWith("eval valid: 200/400 examples (50%)"), lines.get(2));
    }

    @Test
    void quietWritesNoProgressLineButTheStatusLines() {
        Progress p = progress(Progress.Mode.QUIET, 100);
        p.status("Vocabulary: 10 words");
        p.epochStarted(1, 10_000);
        for (int i = 1; i <= 1000; i++) {
            now[0] += 7;
            p.batchDone(i * 10L, 2.5);
        }
        p.epochTrained(1);
        p.evaluationStarted("valid", 100);
        now[0] += 1000;
        p.evaluated(100);
        p.evaluationEnded("valid");
        p.close();
        assertEquals(List.of("Vocabulary: 10 words"), lines());
    }

    @Test
    void durationsReadAsAClock() {
        assertEquals("0:07", Progress.duration(7));
        assertEquals("1:05", Progress.duration(65));
        assertEquals("1:02:05", Progress.duration(3725));
    }
}
