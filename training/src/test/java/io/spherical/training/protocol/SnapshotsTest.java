package io.spherical.training.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one tie rule (the earliest of tied validation scores is the best) in the protocol's snapshots, with budgets that
 * fall between intervals; the expected intervals are computed by hand below.
 */
class SnapshotsTest {
    /** Seconds and validation top-10 error of each interval, with ties inside and across the budgets. */
    private static final double[][] RUN = {
        {100, 0.50},   // 1: ends at 100 s
        {100, 0.45},   // 2: 200 s
        {100, 0.45},   // 3: 300 s, ties 2
        {100, 0.40},   // 4: 400 s
        {100, 0.40},   // 5: 500 s, ties 4
        {150, 0.38},   // 6: 650 s
        {100, 0.38},   // 7: 750 s, ties 6
        {100, 0.39},   // 8: 850 s
    };

    static HistoryRow row(int epoch, double seconds, double top10) {
        return new HistoryRow(epoch, 1.0, new Metrics("valid", 100, 1.0, Map.of(1, 0.9, 10, top10, 100, 0.1), 0.2,
                Double.NaN), 1000, seconds);
    }

    static List<HistoryRow> history() {
        List<HistoryRow> h = new ArrayList<>();
        for (int i = 0; i < RUN.length; i++) {
            h.add(row(i + 1, RUN[i][0], RUN[i][1]));
        }
        return h;
    }

    @Test
    void theBestOfTiedIntervalsIsTheEarliest() {
        List<HistoryRow> h = history();
        assertEquals(5, HistoryRow.best(h), "interval 6 (index 5), not its tie 7");
        assertEquals(1, HistoryRow.best(h.subList(0, 3)), "interval 2, not its tie 3");
        assertEquals(-1, HistoryRow.best(List.of()));
        assertFalse(HistoryRow.lastIsBest(h.subList(0, 3)), "a tie is no new best");
        assertFalse(HistoryRow.lastIsBest(h.subList(0, 7)));
    }

    @Test
    void bestAndBudgetSnapshotsHoldTheEarliestBestIntervalWithinEachBudget(@TempDir Path dir) throws IOException {
        // budgets between interval ends: 50 s (none ends by then), 250 s (1-2), 350 s (1-3: 2 and 3 tie), 600 s (1-5:
        // 4 and 5 tie), 1000 s (all: 6 and 7 tie)
        Snapshots s = new Snapshots(new TrainingListener() { }, dir, List.of(50.0, 250.0, 350.0, 600.0, 1000.0));
        List<HistoryRow> h = history();
        for (int i = 1; i <= h.size(); i++) {
            Path ckpt = dir.resolve("checkpoint.zip");
            Files.writeString(ckpt, "interval " + i);
            s.checkpointed(h.subList(0, i), ckpt);
        }
        Map<String, Integer> index = Snapshots.index(dir);
        assertEquals(Map.of(Snapshots.BEST, 6, "at-250s.zip", 2, "at-350s.zip", 2, "at-600s.zip", 4, "at-1000s.zip", 6),
                index);
        index.forEach((file, interval) -> {
            try {
                assertEquals("interval " + interval, Files.readString(dir.resolve(file)), file);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        assertFalse(Files.exists(dir.resolve("at-50s.zip")), "no interval ended within 50 s");
    }

    @Test
    void anIntervalCutShortCountsTheExamplesItTrained() {
        assertEquals(17_000, RunFigures.intervalExamples(new HistoryRow(2, 5.7, null, 286.3, 59.38), 500_000),
                "a budget that ends 59.38 s into an interval of 500,000 at 286.3 ex/s");
        assertEquals(500_000, RunFigures.intervalExamples(new HistoryRow(1, 5.7, null, 31_245.9, 16.0), 500_000),
                "a whole interval whose throughput rounds to 499,934 examples");
        assertEquals(500_000, RunFigures.intervalExamples(new HistoryRow(1, 5.7, null, 31_250.0, 16.0), 500_000));
        assertEquals(480_000, RunFigures.intervalExamples(new HistoryRow(1, 5.7, null, 30_000.0, 16.0), 500_000),
                "96% of an interval is short of it");
    }

    @Test
    void secondsToBestAndSlowIntervalsFollowTheSameRule() {
        List<HistoryRow> h = history();
        assertEquals(650.0, RunFigures.secondsToBest(h), 0.0, "the end of interval 6, not of its tie 7 (750 s)");
        assertEquals(200.0, RunFigures.secondsToBest(h.subList(0, 3)), 0.0, "interval 2, not its tie 3");
        assertEquals(100.0, RunFigures.median(h), 0.0);
        List<HistoryRow> slow = new ArrayList<>(h);
        slow.set(2, row(3, 301, 0.45));       // more than 3x the median of 100 s
        assertEquals(100.0, RunFigures.median(slow), 0.0);
        assertEquals(1, slow.stream().filter(r -> r.seconds() > RunFigures.SLOW * RunFigures.median(slow)).count());
    }

    @Test
    void examplesPerSecondWeighEachIntervalByItsSeconds() {
        Metrics m = row(1, 100, 0.5).metrics();
        // 100 s at 1,000 ex/s and a short last interval of 50 s at 4,000 ex/s: 300,000 examples in 150 s
        List<HistoryRow> h = List.of(new HistoryRow(1, 1.0, m, 1000, 100), new HistoryRow(2, 1.0, m, 4000, 50));
        assertEquals(2000.0, RunFigures.examplesPerSecond(h), 1e-9, "examples over seconds, not the mean 2500 of rates");
        assertTrue(Double.isNaN(RunFigures.examplesPerSecond(List.of())), "no interval, no throughput");
    }
}
