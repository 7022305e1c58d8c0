package io.spherical.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.UserException;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.training.data.LineCorpus;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Predictions of a trained run: the same top k as scoring every word and sorting, for every output kind. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PredictorTest {
    private Backend b;
    private LineCorpus corpus;
    private Path root;

    @BeforeAll
    void open(@TempDir Path tmp) throws IOException {
        b = BackendDiscovery.discover().create("nd4j");
        corpus = new LineCorpus(SyntheticCorpus.write(tmp.resolve("corpus"), 120, 1500, 7));
        root = tmp;
    }

    @AfterAll
    void close() {
        b.close();
    }

    private Path trained(OutputKind kind) {
        Path run = root.resolve("run-" + kind);
        if (!java.nio.file.Files.exists(run.resolve(Trainer.CHECKPOINT))) {
            new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover()).train(corpus, TrainerTest.small(kind),
                    TrainerTest.quick(1, "sgd"), run, false, new TrainingListener() { }, new AtomicBoolean());
        }
        return run;
    }

    @ParameterizedTest
    @EnumSource(OutputKind.class)
    void theTopKIsTheBestScoredWordsInOrder(OutputKind kind) {
        try (Predictor p = Predictor.load(trained(kind), b)) {
            List<String> words = p.vocabulary().words();
            List<String> contexts = List.of("w1 w2 w3", "w7", "w40 w2", "w5 w5 w5 w5 w5");
            List<List<Predictor.Prediction>> batch = p.topK(contexts, 7);
            for (int c = 0; c < contexts.size(); c++) {
                List<Predictor.Prediction> top = p.topK(contexts.get(c), 7);
                double[] s = p.scores(contexts.get(c), words);
                List<Integer> sorted = IntStream.range(0, s.length).boxed()
                        .sorted(Comparator.<Integer>comparingDouble(i -> -s[i]).thenComparing(i -> i)).toList();
                List<Integer> got = top.stream().map(Predictor.Prediction::id).toList();
                assertEquals(sorted.subList(0, 7), got, kind + " " + contexts.get(c));
                for (int j = 0; j < 7; j++) {
                    // in a batch the same words score the same to float32 rounding (the products' shapes differ)
                    Predictor.Prediction y = batch.get(c).get(j);
                    assertEquals(s[y.id()], y.score(), 1e-4 * Math.max(1, Math.abs(y.score())), kind + " batch " + y);
                }
                for (Predictor.Prediction x : top) {
                    assertEquals(s[x.id()], x.score(), 1e-5 * Math.max(1, Math.abs(x.score())));
                    assertEquals(words.get(x.id()), x.word());
                    if (p.normalised()) {
                        assertTrue(x.probability() > 0 && x.probability() <= 1, kind + ": " + x);
                    } else {
                        assertTrue(Double.isNaN(x.probability()), "a spherical output gives scores, not probabilities");
                    }
                }
                if (p.normalised()) {
                    assertTrue(top.get(0).probability() >= top.get(6).probability(), kind.toString());
                }
            }
        }
    }

    @Test
    void concurrentReadersGetWhatOneReaderGets() throws Exception {
        try (Predictor p = Predictor.load(trained(OutputKind.FACTORED), b)) {
            List<String> contexts = new ArrayList<>();
            for (int i = 0; i < 300; i++) {
                contexts.add("w" + (i % 50) + " w" + (i * 7 % 60) + " w" + (i % 13));
            }
            List<List<Predictor.Prediction>> alone = new ArrayList<>();
            for (String c : contexts) {
                alone.add(p.topK(c, 5));
            }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<List<List<Predictor.Prediction>>>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) {
                    int from = t * 75;
                    fs.add(pool.submit(() -> {
                        List<List<Predictor.Prediction>> mine = new ArrayList<>();
                        for (int i = from; i < from + 75; i++) {
                            mine.add(p.topK(contexts.get(i), 5));
                        }
                        return mine;
                    }));
                }
                for (int t = 0; t < 4; t++) {
                    assertEquals(alone.subList(t * 75, t * 75 + 75), fs.get(t).get(), "thread " + t);
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void badQuestionsAreOneLineUserErrors(@TempDir Path empty) {
        UserException none = assertThrows(UserException.class, () -> Predictor.load(empty, b));
        assertTrue(none.getMessage().contains("No checkpoint") && none.getMessage().contains("Fix:"), none.getMessage());
        try (Predictor p = Predictor.load(trained(OutputKind.SOFTMAX), b)) {
            assertTrue(assertThrows(UserException.class, () -> p.topK("w1", 0)).getMessage().contains("--k"));
            assertTrue(assertThrows(UserException.class, () -> p.topK("w1", p.vocabulary().size() + 1)).getMessage()
                    .contains("--k"));
            assertTrue(assertThrows(UserException.class, () -> p.topK("   ", 3)).getMessage().contains("empty context"));
            assertTrue(p.truncates("w1 w2 w3 w4") && !p.truncates("w1 w2"), "the model reads 2 words");
            assertEquals(p.topK("w9 w1 w2", 3), p.topK("w1 w2", 3), "only the last 2 words count");
        }
    }
}
