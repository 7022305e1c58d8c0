package io.spherical.training.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.Schedule;
import io.spherical.training.SyntheticCorpus;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingListener;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.LineCorpus;
import io.spherical.training.data.Split;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** The three-stage protocol on a tiny corpus: stages, validation-only selection, test read last, resumption. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ProtocolTest {
    private Backend b;
    private Corpus corpus;
    private final List<String> log = new ArrayList<>();
    private String stage = "none";

    @BeforeAll
    void setUp(@TempDir Path tmp) throws IOException {
        b = BackendDiscovery.discover().create("nd4j");
        LineCorpus real = new LineCorpus(SyntheticCorpus.write(tmp.resolve("corpus"), 60, 600, 13));
        corpus = new Corpus() {      // records in which stage each split is read
            @Override
            public String describe() {
                return real.describe();
            }

            @Override
            public String spec() {
                return real.spec();
            }

            @Override
            public List<Chunk> chunks(Split split) {
                log.add(stage + ":" + split);
                return real.chunks(split);
            }
        };
    }

    @AfterAll
    void tearDown() {
        b.close();
    }

    private List<Candidate> grid() {
        ModelConfig base = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).samples(16).build();
        return Grid.candidates(base, 62, List.of("z-loss", "log-softmax"), List.of(0.2, 0.5),
                List.of(Schedule.CONSTANT));
    }

    private Protocol protocol(Path out, AtomicBoolean stop, TrainingListener listener) {
        Trainer t = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover());
        Settings s = new Settings(1_000, 1, 4, 1, 300, 2, Set.of("z-loss"), 1, List.of(1e-6, 1e6));
        Protocol.Observer o = new Protocol.Observer() {
            @Override
            public void stage(String name) {
                stage = name;
                log.add("stage " + name);
            }
        };
        return new Protocol(t, corpus, out, s, o, listener, stop);
    }

    @Test
    void everyStageRunsSelectsOnValidationAndReadsTheTestSplitLast(@TempDir Path out) throws IOException {
        log.clear();
        List<Candidate> grid = grid();
        assertEquals(8, grid.size(), "z-loss: 3 margins x 2 rates; log-softmax: 2 rates");
        List<Protocol.Outcome> outcomes = protocol(out, new AtomicBoolean(), new TrainingListener() { }).run(grid);
        assertNotNull(outcomes);
        // tuning, then the final runs, each followed by its test (3 final runs: z-loss, log-softmax, 1 seed each),
        // then the test stage proper, which reads the sealed results back
        assertEquals(List.of("stage tuning", "stage final", "stage test", "stage final", "stage test", "stage final",
                "stage test", "stage final", "stage test"), log.stream().filter(l -> l.startsWith("stage")).toList());
        assertTrue(log.stream().filter(l -> l.endsWith(":TEST")).allMatch(l -> l.startsWith("test:")), log.toString());
        assertTrue(log.stream().anyMatch(l -> l.equals("test:TEST")), "the test split is read in a test stage");
        assertTrue(log.stream().filter(l -> l.startsWith("test:")).allMatch(l -> l.endsWith(":TEST")),
                "nothing but the test split is read in a test stage, and only there: " + log);
        for (String f : List.of("tuning.csv", "selection.csv", "curves.csv", "final.csv")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        // the selection is the best validation top-10 error of the tuning runs (the grid and its extensions), per kind
        List<String> tuned = Files.readAllLines(out.resolve("tuning.csv"));
        for (String kind : List.of("z-loss", "log-softmax")) {
            String best = null;
            double bestScore = Double.POSITIVE_INFINITY;
            double maxRate = 0;
            for (String row : tuned.subList(1, tuned.size())) {
                String[] c = row.split(",");
                if (c[0].equals(kind)) {
                    List<HistoryRow> h = Checkpoint.JSON.readValue(out.resolve("tuning").resolve(c[1])
                            .resolve("done.json").toFile(), new TypeReference<List<HistoryRow>>() { });
                    double score = h.stream().mapToDouble(r -> r.metrics().topKError().get(10)).min().orElseThrow();
                    if (score < bestScore) {
                        bestScore = score;
                        best = c[1];
                    }
                    maxRate = Math.max(maxRate, Double.parseDouble(c[2]));
                }
            }
            String chosen = best;
            List<Protocol.Outcome> ofKind = outcomes.stream().filter(o -> o.kind().equals(kind)).toList();
            assertEquals(kind.equals("z-loss") ? 2 : 1, ofKind.size(), "seeds of " + kind);
            assertTrue(ofKind.stream().allMatch(o -> o.selected().name().equals(chosen)), kind + " selected " + chosen);
            // the grid's edges: the winner is not the largest rate tried unless every doubling was spent (0.5 -> 16),
            // and selection.csv says where it lies
            double rate = ofKind.get(0).selected().learningRate();
            assertTrue(rate < maxRate || maxRate == 16.0, kind + " won at the edge " + rate + " of " + tuned);
            assertTrue(maxRate <= 16.0, "at most five doublings: " + tuned);
            String position = Files.readAllLines(out.resolve("selection.csv")).stream()
                    .filter(l -> l.startsWith(kind + ",")).findFirst().orElseThrow().split(",")[5];
            assertTrue(position.equals("interior") || rate == maxRate && maxRate == 16.0
                    || position.equals("smallest-tried"), kind + " at " + rate + ": " + position);
        }
        // each final run is tested at its best validation interval; the budgets hold the best model within them
        List<String> fin = Files.readAllLines(out.resolve("final.csv"));
        for (Protocol.Outcome o : outcomes) {
            List<String> rows = Files.readAllLines(out.resolve("curves.csv")).stream()
                    .filter(l -> l.split(",")[1].equals(o.run())).toList();
            int argmin = 0;
            double min = Double.POSITIVE_INFINITY;
            for (String r : rows) {
                String[] c = r.split(",");
                if (Double.parseDouble(c[6]) < min) {
                    min = Double.parseDouble(c[6]);
                    argmin = Integer.parseInt(c[2]);
                }
            }
            int bestInterval = argmin;
            Path dir = out.resolve("final").resolve(o.run());
            assertEquals(argmin, Snapshots.index(dir).get(Snapshots.BEST), o.run() + " best interval");
            Metrics again = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover())
                    .evaluateCheckpoint(dir.resolve(Snapshots.BEST), corpus, Split.TEST, 300, new TrainingListener() { });
            assertEquals(again.topKError(), o.test().topKError(), o.run() + ": the test metrics are the best model's");
            assertEquals(Set.of(1e6), o.budgetTop10().keySet(), "no interval ends within a microsecond");
            assertEquals(o.test().topKError().get(10), o.budgetTop10().get(1e6), 0.0, "an unbounded budget keeps the best");
            assertTrue(fin.stream().anyMatch(l -> l.startsWith(o.kind() + "," + o.run() + "," + o.selected().name() + ","
                    + bestInterval + ",")), fin.toString());
        }
        List<String> curves = Files.readAllLines(out.resolve("curves.csv"));
        assertEquals("kind,run,interval,examples,train_seconds,valid_top1,valid_top10,valid_top100,valid_mrr,"
                + "valid_perplexity,interval_seconds,slow,controlled_steps,host_solves", curves.get(0));
        assertTrue(curves.size() > 3 && curves.stream().skip(1).allMatch(l -> l.split(",", -1).length == 14),
                curves.toString());
        assertTrue(fin.get(0).endsWith(",seconds_to_best,train_seconds,controlled_steps,host_solves,slow_intervals"),
                fin.get(0));
        // the step-control and host-solve counts of each final run are its last interval's, as its history recorded
        for (Protocol.Outcome o : outcomes) {
            List<HistoryRow> h = Checkpoint.JSON.readValue(out.resolve("final").resolve(o.run()).resolve("done.json")
                    .toFile(), new TypeReference<List<HistoryRow>>() { });
            HistoryRow last = h.get(h.size() - 1);
            assertEquals(last.controlledSteps(), o.controlledSteps(), o.run());
            assertEquals(last.hostSolves(), o.hostSolves(), o.run());
            assertEquals(RunFigures.secondsToBest(h), o.secondsToBest(), 0.0, o.run());
            assertEquals(RunFigures.examplesPerSecond(h), o.examplesPerSecond(), 0.0, o.run());
            assertTrue(o.examplesPerSecond() > 0, o.run() + " trained at " + o.examplesPerSecond() + " ex/s");
            String[] row = fin.stream().filter(l -> l.split(",")[1].equals(o.run())).findFirst().orElseThrow().split(",");
            assertEquals(Long.toString(last.controlledSteps()), row[row.length - 3], o.run());
            assertEquals(Long.toString(last.hostSolves()), row[row.length - 2], o.run());
        }
        // a fresh machine with each final run's small files only (the snapshots and checkpoints gone): the protocol
        // trains nothing, reads no test example again, and writes the same final.csv from the sealed test.json
        try (var files = Files.walk(out.resolve("final"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".zip")).toList()) {
                Files.delete(f);
            }
        }
        log.clear();
        List<Protocol.Outcome> again = protocol(out, new AtomicBoolean(), new TrainingListener() { }).run(grid);
        assertNotNull(again);
        assertTrue(log.stream().noneMatch(l -> l.endsWith(":TEST")), "the test split is not read again: " + log);
        assertEquals(fin, Files.readAllLines(out.resolve("final.csv")), "the same final.csv from test.json");
        assertEquals(outcomes.stream().map(o -> o.test().topKError()).toList(),
                again.stream().map(o -> o.test().topKError()).toList());
    }

    @Test
    void aScheduleAxisThatCannotActIsRefused(@TempDir Path tmp) {
        ModelConfig base = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).build();
        List<Candidate> grid = Grid.candidates(base, 62, List.of("log-softmax"), List.of(0.5),
                List.of(Schedule.PLATEAU, Schedule.CONSTANT));
        io.spherical.api.UserException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.spherical.api.UserException.class,
                () -> protocol(tmp, new AtomicBoolean(), new TrainingListener() { }).run(grid, true));
        assertTrue(e.getMessage().contains("--tune-intervals 3"), e.getMessage());
    }

    @Test
    void thePlateauScheduleActsInTuningAndTheHalvingsAreCounted() {
        Candidate plateau = grid().get(0).withRate(1);
        Candidate p = new Candidate(plateau.kind(), plateau.base(), plateau.model(), 1, Schedule.PLATEAU);
        List<HistoryRow> h = List.of(SnapshotsTest.row(1, 10, 0.5), SnapshotsTest.row(2, 10, 0.5),
                SnapshotsTest.row(3, 10, 0.4), SnapshotsTest.row(4, 10, 0.45));
        assertEquals(1, RunFigures.halvings(p, h), "halved after interval 2 (a tie is no improvement), not after 3");
        assertEquals(0, RunFigures.halvings(plateau, h), "the constant schedule never halves");
    }

    @Test
    void aKindThatDivergesAtEveryRateIsRetriedAtSmallerRatesAndNeverSelected(@TempDir Path tmp) throws IOException {
        ModelConfig base = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).build();
        List<Candidate> grid = Grid.candidates(base, 62, List.of("log-softmax"), List.of(1e9), List.of(Schedule.CONSTANT));
        assertEquals(List.of(), protocol(tmp, new AtomicBoolean(), new TrainingListener() { }).run(grid, true));
        List<String> rows = Files.readAllLines(tmp.resolve("tuning.csv"));
        assertEquals(List.of("1.0E9", "2.5E8", "6.25E7", "1.5625E7", "3906250.0", "976562.5"),
                rows.stream().skip(1).map(l -> l.split(",")[2]).toList(), "the grid quartered five times");
        assertTrue(rows.stream().skip(1).allMatch(l -> l.split(",")[6].equals("true")), rows.toString());
        assertEquals(1, Files.readAllLines(tmp.resolve("selection.csv")).size(), "nothing selected");
    }

    @Test
    void theTuningStageAloneSelectsAndALaterRunGoesOnFromIt(@TempDir Path tmp) throws IOException {
        log.clear();
        Path dir = tmp.resolve("p");
        assertEquals(List.of(), protocol(dir, new AtomicBoolean(), new TrainingListener() { }).run(grid(), true));
        assertEquals(List.of("stage tuning"), log.stream().filter(l -> l.startsWith("stage")).toList());
        assertTrue(Files.exists(dir.resolve("selection.csv")) && !Files.exists(dir.resolve("final")));
        assertTrue(log.stream().noneMatch(l -> l.endsWith(":TEST")), "tuning never reads the test split: " + log);
        Path done = dir.resolve("tuning").resolve(grid().get(0).name()).resolve("done.json");
        long before = Files.getLastModifiedTime(done).toMillis();
        List<Protocol.Outcome> outcomes = protocol(dir, new AtomicBoolean(), new TrainingListener() { }).run(grid());
        assertEquals(3, outcomes.size());
        assertEquals(before, Files.getLastModifiedTime(done).toMillis(), "the tuning is reused, not redone");
    }

    @Test
    void anInterruptedProtocolResumesToTheSameResults(@TempDir Path tmp) throws IOException {
        Path whole = tmp.resolve("whole");
        protocol(whole, new AtomicBoolean(), new TrainingListener() { }).run(grid());
        Path cut = tmp.resolve("cut");
        for (int stopAt : new int[] {3, 17, 40}) {     // batches into each attempt: mid-tuning, then further on
            AtomicBoolean stop = new AtomicBoolean();
            TrainingListener stopper = new TrainingListener() {
                private int batches;

                @Override
                public void batchDone(long done, double loss) {
                    if (++batches == stopAt) {
                        stop.set(true);
                    }
                }
            };
            assertNull(protocol(cut, stop, stopper).run(grid()), "interrupted after " + stopAt + " batches");
        }
        assertNotNull(protocol(cut, new AtomicBoolean(), new TrainingListener() { }).run(grid()));
        for (String f : List.of("tuning.csv", "selection.csv", "final.csv")) {
            List<String> a = Files.readAllLines(whole.resolve(f));
            List<String> c = Files.readAllLines(cut.resolve(f));
            assertEquals(strip(a, f), strip(c, f), f + " after three interruptions");
        }
    }

    @Test
    void theDependentSettingsOfEachKindFollowTheVocabularySize() {
        assertEquals(List.of(103, 412, 1648), Grid.samples(13_190));
        assertEquals(List.of(1562, 6250, 8192), Grid.samples(200_002));
        assertEquals(List.of(List.of(2000, 10000), List.of(1000, 5000)), Grid.cutoffs(13_190));
        assertEquals(List.of(List.of(20000, 200000), List.of(10000, 100000)), Grid.cutoffs(200_002));
        ModelConfig base = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).build();
        List<Candidate> g = Grid.candidates(base, 200_002, List.of("sampled-softmax", "adaptive-softmax"), List.of(0.5),
                List.of(Schedule.PLATEAU));
        assertEquals(List.of("sampled-softmax-K1562", "sampled-softmax-K6250", "sampled-softmax-K8192",
                "adaptive-softmax-c20000-200000", "adaptive-softmax-c10000-100000"),
                g.stream().map(Candidate::base).toList());
        assertEquals(6250, g.get(1).model().samples());
        assertEquals(List.of(10000, 100000), g.get(4).model().cutoffs());
    }

    @Test
    void aWallClockBudgetEndsEveryFinalRunAfterTheIntervalThatReachesIt(@TempDir Path tmp) throws IOException {
        Trainer t = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover());
        Settings s = new Settings(1_000, 3, 4, 4, 300, 1, Set.of(), 1, List.of(1e6), 0, 1e-9, 1e-9);
        Protocol p = new Protocol(t, corpus, tmp, s, new Protocol.Observer() {
            @Override
            public void stage(String name) {
                stage = name;
            }
        }, new TrainingListener() { }, new AtomicBoolean());
        assertNotNull(p.run(grid()));
        List<String> tuned = Files.readAllLines(tmp.resolve("tuning.csv"));
        for (String row : tuned.subList(1, tuned.size())) {
            List<HistoryRow> h = Checkpoint.JSON.readValue(tmp.resolve("tuning").resolve(row.split(",")[1])
                    .resolve("done.json").toFile(), new TypeReference<List<HistoryRow>>() { });
            assertEquals(1, h.size(), "a tuning candidate stops after its first interval: " + row);
        }
        List<String> curves = Files.readAllLines(tmp.resolve("curves.csv"));
        assertEquals(1 + 2, curves.size(), "one interval for each of the two final runs: " + curves);
        for (String row : curves.subList(1, curves.size())) {
            long examples = Long.parseLong(row.split(",")[3]);
            assertTrue(examples > 0 && examples < 1_000, "the budget cut the interval of 1,000 examples short, and "
                    + "curves.csv counts what it trained: " + row);
        }
    }

    /** The CSV without its wall-clock columns (seconds and slow-interval flags differ between runs, results must not). */
    private static List<String> strip(List<String> lines, String file) {
        String[] header = lines.get(0).split(",", -1);
        return lines.stream().map(l -> {
            String[] c = l.split(",", -1);
            List<String> kept = new ArrayList<>();
            for (int i = 0; i < c.length; i++) {
                if (!header[i].contains("seconds") && !header[i].startsWith("slow")) {
                    kept.add(c[i]);
                }
            }
            return String.join(",", kept);
        }).toList();
    }
}
