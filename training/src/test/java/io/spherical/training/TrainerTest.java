package io.spherical.training;

import io.spherical.training.checkpoint.Checkpoint;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.UserException;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.LineCorpus;
import io.spherical.training.data.Split;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.OutputKind;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Training end to end on a corpus made by the test: every output layer learns; resumed runs equal uninterrupted ones. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TrainerTest {
    private Backend b;
    private Path corpusDir;
    private Corpus corpus;

    @BeforeAll
    void open(@TempDir Path tmp) throws IOException {
        b = BackendDiscovery.discover().create("nd4j");
        corpusDir = SyntheticCorpus.write(tmp.resolve("corpus"), 150, 2500, 42);
        corpus = new LineCorpus(corpusDir);
    }

    @AfterAll
    void close() {
        b.close();
    }

    private Trainer trainer() {
        return new Trainer(b, LossRegistry.discover(), OptimizerRegistry.discover());
    }

    static ModelConfig small(OutputKind kind) {
        return ModelConfig.builder().context(2).embedding(16).hidden(List.of(32)).output(kind).stabilisePeriod(50)
                .unfactorPeriod(500).seed(3L).samples(16).cutoffs(List.of(10, 50)).build();
    }

    static TrainingConfig quick(int epochs, String optimizer) {
        return TrainingConfig.builder().epochs(epochs).batch(50).optimizer(optimizer, Map.of()).patience(0).minCount(1).build();
    }

    @ParameterizedTest
    @EnumSource(OutputKind.class)
    void everyOutputLayerDrivesValidationTop10ErrorDown(OutputKind kind, @TempDir Path run) {
        Trainer t = trainer();
        ModelConfig mc = small(kind);
        TrainingConfig tc = quick(2, "sgd");
        Vocabulary vocab = CorpusVocabulary.of(corpus, 1);
        double before;
        try (NgramLanguageModel untrained = new NgramLanguageModel(b, mc, vocab,
                LossRegistry.discover().create("z-loss", Map.of()),
                OptimizerRegistry.discover().create("sgd", Map.of()), tc.batch())) {
            before = t.evaluate(untrained, corpus.chunks(Split.VALID), vocab, Split.VALID, 0, new TrainingListener() { },
                    new HashMap<>()).topKError().get(10);
        }
        Trainer.Result r = t.train(corpus, mc, tc, run, false, new TrainingListener() { }, new AtomicBoolean());
        double after = r.history().get(r.history().size() - 1).metrics().topKError().get(10);
        System.out.printf("learning %s: validation top-10 error %.3f -> %.3f%n", kind.label(), before, after);
        assertTrue(before > 0.7, "an untrained model is far from the chain: " + before);
        assertTrue(after < 0.5 * before, kind + " did not learn: " + before + " -> " + after);
        assertTrue(Files.exists(run.resolve("checkpoint.zip")) && Files.exists(run.resolve("metrics.csv"))
                && Files.exists(run.resolve("run.json")));
    }

    @Test
    void theTimeBudgetEndsTheEpochAtTheStepWhereItIsSpentNotAtTheEpochsEnd(@TempDir Path tmp) {
        // a budget far below one step's time: the first step spends it; the epoch (2,500 sentences, dozens of steps)
        // ends there, is validated, and is the run's last although 5 epochs were asked for
        TrainingConfig tc = quick(5, "sgd").toBuilder().maxTrainSeconds(1e-6).build();
        AtomicBoolean stop = new AtomicBoolean();
        Trainer.Result r = trainer().train(corpus, small(OutputKind.FACTORED), tc, tmp, false, new TrainingListener() { },
                stop);
        assertFalse(r.interrupted());
        assertEquals(1, r.progress().step(), "training stopped at the step that spent the budget");
        assertEquals(1, r.history().size(), "the cut epoch is validated once and is the last");
        assertTrue(r.progress().finished());
        assertTrue(r.history().get(0).metrics().examples() > 0);
        // without a budget the same epoch takes every training example
        Trainer.Result whole = trainer().train(corpus, small(OutputKind.FACTORED), quick(1, "sgd"), tmp.resolve("w"),
                false, new TrainingListener() { }, new AtomicBoolean());
        assertTrue(whole.progress().step() > 10, "an epoch is many steps: " + whole.progress().step());
    }

    @Test
    void anInterruptedEpochKeepsItsTrainingSecondsSoTheBudgetCountsThemOnResume(@TempDir Path tmp) {
        // every step takes at least 100 ms (the listener sleeps, so the bounds below are lower bounds on time and hold
        // on any machine); the budget is 2 s of training. The first process trains 3 steps (>= 0.3 s, far below the
        // budget even on a loaded machine) and is interrupted; the resumed one must stop once the two together reach
        // 2 s: by step 3 + 17 = 20 at the latest. Had the resumed run forgotten the first 0.3 s, it would train 2 s
        // more, 20 steps or more, to step 23 at least. An epoch is about 500 steps.
        TrainingConfig tc = quick(5, "sgd").toBuilder().maxTrainSeconds(2.0).build();
        AtomicBoolean stop = new AtomicBoolean();
        Trainer.Result first = trainer().train(corpus, small(OutputKind.FACTORED), tc, tmp, false, slow(3, stop), stop);
        assertTrue(first.interrupted());
        assertEquals(3, first.progress().step());
        double recorded = Checkpoint.read(tmp.resolve(Trainer.CHECKPOINT)).manifest().get(EpochClock.FIELD).asDouble();
        assertTrue(recorded >= 0.3, "the checkpoint records the interrupted epoch's seconds: " + recorded);
        Trainer.Result second = trainer().train(corpus, small(OutputKind.FACTORED), tc, tmp, true,
                slow(Integer.MAX_VALUE, new AtomicBoolean()), new AtomicBoolean());
        assertFalse(second.interrupted());
        assertTrue(second.progress().step() > 3 && second.progress().step() <= 20,
                "the budget counted the first process's seconds: stopped at step " + second.progress().step());
        assertEquals(1, second.history().size(), "the cut epoch is the run's last");
        double seconds = second.history().get(0).seconds();
        assertTrue(seconds >= 2.0 && seconds >= recorded + 0.1 * (second.progress().step() - 3),
                "the epoch's seconds hold both processes' training: " + seconds);
        assertEquals(0.0, Checkpoint.read(tmp.resolve(Trainer.CHECKPOINT)).manifest().get(EpochClock.FIELD).asDouble(),
                "after the epoch's end the next epoch has trained nothing");
    }

    /**
     * A listener that sleeps 100 ms after every step (a floor under each step's time, so that a time budget is spent
     * after a known largest number of steps) and asks to stop after {@code stopAfter} steps.
     */
    private static TrainingListener slow(int stopAfter, AtomicBoolean stop) {
        return new TrainingListener() {
            private int batches;

            @Override
            public void batchDone(long done, double loss) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                if (++batches == stopAfter) {
                    stop.set(true);
                }
            }
        };
    }

    @ParameterizedTest
    @EnumSource(value = OutputKind.class, names = {"FACTORED", "SAMPLED", "ADAPTIVE"})
    void resumedRunEqualsUninterruptedRun(OutputKind kind, @TempDir Path tmp) {
        ModelConfig mc = small(kind);
        TrainingConfig tc = quick(2, "momentum");
        Trainer t = trainer();
        t.train(corpus, mc, tc, tmp.resolve("a"), false, new TrainingListener() { }, new AtomicBoolean());
        AtomicBoolean stop = new AtomicBoolean();
        TrainingListener stopper = new TrainingListener() {
            private int batches;

            @Override
            public void batchDone(long done, double loss) {
                if (++batches == 37) {
                    stop.set(true);
                }
            }
        };
        Trainer.Result first = t.train(corpus, mc, tc, tmp.resolve("b"), false, stopper, stop);
        assertTrue(first.interrupted());
        assertEquals(37, first.progress().step());
        Trainer.Result second = t.train(corpus, mc, tc, tmp.resolve("b"), true, new TrainingListener() { },
                new AtomicBoolean());
        assertFalse(second.interrupted());
        JsonNode a = Checkpoint.read(tmp.resolve("a").resolve(Trainer.CHECKPOINT)).manifest().get("checksums");
        JsonNode bb = Checkpoint.read(tmp.resolve("b").resolve(Trainer.CHECKPOINT)).manifest().get("checksums");
        int arrays = 0;
        for (Iterator<String> it = a.fieldNames(); it.hasNext(); ) {
            String name = it.next();
            if (name.startsWith("arrays/")) {
                assertEquals(a.get(name).asText(), bb.path(name).asText(), name + " differs after resume");
                arrays++;
            }
        }
        assertTrue(arrays >= 6, "every parameter and optimizer slot compared: " + arrays);
    }

    @Test
    void aCheckpointResumesWithTheLossValuesItRecordedNotTodaysDefaults() throws IOException {
        // a checkpoint of an earlier version: the model names the default Z-loss (no parameters), the record says b = 0
        JsonNode manifest = Checkpoint.JSON.readTree("{\"loss\": {\"name\": \"z-loss\", \"values\": {\"a\": 1.0, "
                + "\"b\": 0.0}}}");
        ModelConfig old = ModelConfig.builder().loss("z-loss", Map.of()).build();
        ModelConfig resumed = RunRecords.withRecordedLoss(old, manifest);
        assertEquals(Map.of("a", 1.0, "b", 0.0), resumed.lossParams());
        assertEquals(0.0, LossRegistry.discover().create("z-loss", resumed.lossParams()).values().get("top"),
                "the old margin, not today's default top 10");
        assertEquals(10.0, LossRegistry.discover().create("z-loss", old.lossParams()).values().get("top"));
        JsonNode other = Checkpoint.JSON.readTree("{\"loss\": {\"name\": \"squared-error\", \"values\": {}}}");
        assertEquals(old, RunRecords.withRecordedLoss(old, other), "a record of another loss is not applied");
        assertEquals(old, RunRecords.withRecordedLoss(old, Checkpoint.JSON.readTree("{}")), "no record: unchanged");
    }

    @Test
    void checkpointOfAnotherVocabularyIsRejected(@TempDir Path tmp) throws IOException {
        ModelConfig mc = small(OutputKind.SOFTMAX);
        TrainingConfig tc = quick(1, "sgd").toBuilder().limits(500, 200).build();
        trainer().train(corpus, mc, tc, tmp.resolve("a"), false, new TrainingListener() { }, new AtomicBoolean());
        Path other = SyntheticCorpus.write(tmp.resolve("other"), 90, 300, 7);
        Checkpoint c = Checkpoint.read(tmp.resolve("a").resolve(Trainer.CHECKPOINT));
        Vocabulary v2 = CorpusVocabulary.of(new LineCorpus(other), 1);
        try (NgramLanguageModel m2 = new NgramLanguageModel(b, mc, v2, LossRegistry.discover().create("z-loss", Map.of()),
                OptimizerRegistry.discover().create("sgd", Map.of()), tc.batch())) {
            UserException e = assertThrows(UserException.class, () -> c.restore(m2.state(), b));
            assertTrue(e.getMessage().contains("another model or vocabulary"), e.getMessage());
        }
    }

    @Test
    void divergenceIsTypedWithItsEpochAndStepAndLeavesTheCheckpoint(@TempDir Path tmp) {
        TrainingConfig tc = quick(2, "sgd").toBuilder().limits(2000, 200).learningRate(1e30).build();
        io.spherical.models.output.DivergenceException e = assertThrows(
                io.spherical.models.output.DivergenceException.class, () -> trainer().train(corpus,
                        small(OutputKind.SOFTMAX), tc, tmp.resolve("d"), false, new TrainingListener() { },
                        new AtomicBoolean()));
        assertEquals(1, e.epoch());
        assertTrue(e.step() >= 1 && e.step() <= 40, "step " + e.step());
        assertTrue(e.getMessage().contains("(epoch 1, step " + e.step() + ", learning rate 1.0E30)")
                && e.getMessage().contains(tmp.resolve("d").resolve(Trainer.CHECKPOINT).toString()), e.getMessage());
        assertTrue(java.nio.file.Files.exists(tmp.resolve("d").resolve(Trainer.CHECKPOINT)));
    }
}
