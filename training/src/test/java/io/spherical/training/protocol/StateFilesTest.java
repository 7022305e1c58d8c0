package io.spherical.training.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.HistoryRow;
import io.spherical.training.Metrics;
import io.spherical.training.Schedule;
import io.spherical.training.SyntheticCorpus;
import io.spherical.training.Trainer;
import io.spherical.training.TrainingListener;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.training.data.LineCorpus;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * An empty or truncated state file ({@code done.json}, {@code test.json}, {@code snapshots.json}) is said in one status
 * line, deleted and read as absent; an empty or truncated checkpoint is the one-line user error naming it and the fix;
 * a protocol whose final run lost its done.json and test.json to a truncation resumes to the same results.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StateFilesTest {
    private Backend b;

    @BeforeAll
    void setUp() {
        b = BackendDiscovery.discover().create("nd4j");
    }

    @AfterAll
    void tearDown() {
        b.close();
    }

    private static Metrics metrics(double top10) {
        Map<Integer, Double> err = new LinkedHashMap<>();
        for (int k : Metrics.KS) {
            err.put(k, Math.max(0, top10 - k / 1000.0));
        }
        return new Metrics("valid", 300, 2.5, err, 0.31, 12.25);
    }

    @Test
    void aBadDoneJsonReadsAsAbsent(@TempDir Path dir) throws IOException {
        List<HistoryRow> rows = List.of(new HistoryRow(1, 3.1, metrics(0.6), 1000, 1.5),
                new HistoryRow(2, 2.7, metrics(0.5), 1100, 1.4));
        checkBadFile(dir.resolve("done.json"), Checkpoint.JSON.writeValueAsBytes(rows),
                status -> read(dir.resolve("done.json"), new TypeReference<List<HistoryRow>>() { }, status), rows);
    }

    @Test
    void aWholeFileOfAnotherShapeIsRefusedAndKept(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("done.json");
        Files.writeString(f, "[{\"epoch\": 1, \"aFieldOfAnotherVersion\": 2}]");
        io.spherical.api.UserException e = org.junit.jupiter.api.Assertions.assertThrows(
                io.spherical.api.UserException.class, () -> StateFiles.read(f, new TypeReference<List<HistoryRow>>() { },
                        "retraining", l -> { }));
        assertTrue(e.getMessage().contains("another shape") && e.getMessage().contains("Fix:"), e.getMessage());
        assertTrue(Files.exists(f), "a whole file is never deleted");
    }

    @Test
    void aBadTestJsonReadsAsAbsent(@TempDir Path dir) throws IOException {
        Map<String, Metrics> tests = new LinkedHashMap<>();
        tests.put(Snapshots.BEST, metrics(0.4));
        tests.put(Snapshots.budgetFile(300), metrics(0.45));
        checkBadFile(dir.resolve("test.json"), Checkpoint.JSON.writeValueAsBytes(tests),
                status -> read(dir.resolve("test.json"), new TypeReference<LinkedHashMap<String, Metrics>>() { }, status),
                tests);
    }

    @Test
    void aBadSnapshotIndexReadsAsEmpty(@TempDir Path dir) throws IOException {
        Map<String, Integer> index = new TreeMap<>(Map.of(Snapshots.BEST, 3, Snapshots.budgetFile(300), 2));
        for (String f : index.keySet()) {
            Files.write(dir.resolve(f), new byte[] {1});
        }
        Path file = dir.resolve(Snapshots.INDEX);
        checkBadFile(file, Checkpoint.JSON.writeValueAsBytes(index), status -> {
            Map<String, Integer> got = Snapshots.index(dir, status::add);
            return got.isEmpty() ? null : got;
        }, index);
        // a snapshot listed but gone is left out, said in one line
        Files.write(file, Checkpoint.JSON.writeValueAsBytes(index));
        Files.delete(dir.resolve(Snapshots.BEST));
        List<String> lines = new ArrayList<>();
        assertEquals(Map.of(Snapshots.budgetFile(300), 2), Snapshots.index(dir, lines::add));
        assertEquals(1, lines.size(), lines.toString());
        assertTrue(lines.get(0).contains(dir.resolve(Snapshots.BEST).toString()), lines.get(0));
    }

    private static <T> T read(Path file, TypeReference<T> type, List<String> status) {
        try {
            return StateFiles.read(file, type, "recomputed", status::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The valid file reads back silently; then empty, and cut to its first half, it reads as absent ({@code read}
     * gives null), with exactly one status line naming it, and is gone.
     */
    private static void checkBadFile(Path file, byte[] valid, Function<List<String>, Object> read, Object expected)
            throws IOException {
        List<String> lines = new ArrayList<>();
        Files.write(file, valid);
        assertEquals(expected, read.apply(lines), "the valid file reads back");
        assertEquals(List.of(), lines);
        for (byte[] bad : List.of(new byte[0], Arrays.copyOf(valid, valid.length / 2))) {
            lines.clear();
            Files.write(file, bad);
            assertNull(read.apply(lines), bad.length + " bytes of " + file + " read as absent");
            assertEquals(1, lines.size(), "one status line: " + lines);
            String line = lines.get(0);
            assertTrue(line.contains(file.toString()) && line.contains("empty or truncated"), line);
            assertFalse(line.contains("\n"), line);
            assertFalse(Files.exists(file), "the bad file is deleted");
        }
    }

    @Test
    void anEmptyOrTruncatedCheckpointIsTheOneLineUserError(@TempDir Path dir) throws IOException {
        Vocabulary v = new Vocabulary(List.of(Vocabulary.EOS, Vocabulary.UNK, "a"), new long[] {3, 1, 2});
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("x", b.fromHost(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Path file = dir.resolve("checkpoint.zip");
        Checkpoint.write(file, Checkpoint.JSON.createObjectNode(), v, arrays, b);
        arrays.get("x").close();
        byte[] all = Files.readAllBytes(file);
        assertNotNull(Checkpoint.read(file).manifest(), "the intact checkpoint reads");
        for (byte[] bad : List.of(new byte[0], Arrays.copyOf(all, all.length / 2))) {
            Files.write(file, bad);
            String m = assertThrows(UserException.class, () -> Checkpoint.read(file)).getMessage();
            assertTrue(m.contains(file.toString()), m);
            assertTrue(m.contains(bad.length == 0 ? "empty" : "truncated"), m);
            assertTrue(m.contains("Fix: delete it and run the same command again"), m);
            assertFalse(m.contains("\n") || m.contains("\r"), "one line: " + m);
        }
    }

    @Test
    void aFinalRunThatLostDoneJsonAndTestJsonResumesToTheSameResults(@TempDir Path tmp) throws IOException {
        LineCorpus corpus = new LineCorpus(SyntheticCorpus.write(tmp.resolve("corpus"), 60, 600, 13));
        ModelConfig base = ModelConfig.builder().context(2).embedding(8).hidden(List.of(16)).samples(16).build();
        List<Candidate> grid = Grid.candidates(base, 62, List.of("log-softmax"), List.of(0.2, 0.5),
                List.of(Schedule.CONSTANT));
        Path out = tmp.resolve("p");
        List<String> status = new ArrayList<>();
        assertNotNull(protocol(corpus, out, status).run(grid));
        List<String> csvs = List.of("tuning.csv", "selection.csv", "curves.csv", "final.csv");
        Map<String, List<String>> first = new LinkedHashMap<>();
        for (String f : csvs) {
            first.put(f, Files.readAllLines(out.resolve(f)));
        }
        Path run;
        try (Stream<Path> runs = Files.list(out.resolve("final"))) {
            run = runs.sorted().findFirst().orElseThrow();
        }
        for (String f : List.of("done.json", "test.json")) {
            byte[] all = Files.readAllBytes(run.resolve(f));
            Files.write(run.resolve(f), Arrays.copyOf(all, all.length / 2));
        }
        status.clear();
        assertNotNull(protocol(corpus, out, status).run(grid));
        List<String> said = status.stream().filter(l -> l.contains("empty or truncated")).toList();
        assertEquals(2, said.size(), status.toString());
        assertTrue(said.get(0).contains(run.resolve("done.json").toString()), said.toString());
        assertTrue(said.get(1).contains(run.resolve("test.json").toString()), said.toString());
        for (String f : csvs) {
            assertEquals(first.get(f), Files.readAllLines(out.resolve(f)), f + " after the truncation");
        }
        for (String f : List.of("done.json", "test.json")) {
            assertTrue(Files.size(run.resolve(f)) > 0, f + " is written again");
        }
    }

    /** A protocol with the sizes of {@link ProtocolTest}, whose listener keeps the status lines. */
    private Protocol protocol(LineCorpus corpus, Path out, List<String> status) {
        Trainer t = new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover());
        Settings s = new Settings(1_000, 1, 4, 1, 300, 2, Set.of("z-loss"), 1, List.of(1e-6, 1e6));
        TrainingListener listener = new TrainingListener() {
            @Override
            public void status(String message) {
                status.add(message);
            }
        };
        return new Protocol(t, corpus, out, s, name -> { }, listener, new AtomicBoolean());
    }
}
