package io.spherical.training;

import com.fasterxml.jackson.core.type.TypeReference;
import io.spherical.api.Backend;
import io.spherical.api.Collective;
import io.spherical.api.Optimizer;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.IdStream;
import io.spherical.training.data.Split;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.parallel.DataParallelStep;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.output.DivergenceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;

/**
 * Trains an n-gram language model on a corpus: epochs over shuffled examples (seeded, so a run is deterministic for
 * a seed and a backend), validation after each epoch, the learning-rate {@link Schedule}, early stopping, and
 * checkpoints that let a resumed run continue exactly. The run's files are kept by {@link RunDirectory}; evaluation
 * is {@link Evaluator}'s.
 */
public final class Trainer {
    /** The checkpoint's file name in a run directory. */
    public static final String CHECKPOINT = RunDirectory.CHECKPOINT;

    private final Backend backend;
    private final LossRegistry losses;
    private final OptimizerRegistry optimizers;
    private final Evaluator evaluator;
    private final Collective group;

    /** A trainer on a backend with the registries of losses and optimizers. */
    public Trainer(Backend backend, LossRegistry losses, OptimizerRegistry optimizers) {
        this(backend, losses, optimizers, Collective.single());
    }

    private Trainer(Backend backend, LossRegistry losses, OptimizerRegistry optimizers, Collective group) {
        this.backend = backend;
        this.losses = losses;
        this.optimizers = optimizers;
        this.evaluator = new Evaluator(backend);
        this.group = group;
    }

    /**
     * This trainer as one worker of a data-parallel group ({@link DataParallelStep}): {@code --batch} m is per worker,
     * each global minibatch holds the N m examples one process with batch N m would take, in the same order, and
     * worker r trains on rows r m .. r m + m - 1 (a last global minibatch is cut to a multiple of N). Every worker
     * evaluates and keeps the same parameters; worker 0 alone writes the run directory; a stop request on any worker
     * stops all of them at the same step.
     */
    public Trainer inGroup(Collective g) {
        return new Trainer(backend, losses, optimizers, g);
    }

    /** The outcome of {@link #train}. */
    public record Result(List<HistoryRow> history, Path runDir, boolean interrupted, Progress progress,
                         double seconds) {
    }

    /** Trains, or resumes with the checkpoint's own configuration unchanged; see the full overload. */
    public Result train(Corpus corpus, ModelConfig modelCfg, TrainingConfig trainCfg, Path runDir, boolean resume,
                        TrainingListener listener, AtomicBoolean stop) {
        return train(corpus, modelCfg, trainCfg, runDir, resume, saved -> saved, listener, stop);
    }

    /**
     * Trains, or resumes when {@code resume} is set: the checkpoint's model and training configuration are then used,
     * the latter passed through {@code onResume} (which may change what can change on resume: epochs, learning rate,
     * schedule, patience, example limits, checkpoint interval).
     *
     * @param stop set it (from a signal handler) to finish the current minibatch, write a checkpoint and return
     */
    public Result train(Corpus corpus, ModelConfig modelCfg, TrainingConfig trainCfg, Path runDir, boolean resume,
                        UnaryOperator<TrainingConfig> onResume, TrainingListener listener, AtomicBoolean stop) {
        Run run = new Run(corpus, new RunDirectory(runDir), listener, stop);
        ModelConfig mc = modelCfg;
        TrainingConfig tc = trainCfg;
        // fail on a bad loss or optimizer before any expensive work
        losses.create(mc.loss(), mc.lossParams());
        optimizers.create(tc.optimizer(), tc.optimizerParams());
        Checkpoint loaded = null;
        Vocabulary vocab;
        if (resume) {
            loaded = Checkpoint.read(run.dir.requireCheckpoint());
            LossPlugin.requireLoaded(loaded.manifest(), losses).ifPresent(listener::status);
            mc = RunRecords.withRecordedLoss(RunRecords.fromJson(loaded.manifest().get("model"), ModelConfig.class), loaded.manifest());
            tc = onResume.apply(RunRecords.fromJson(loaded.manifest().get("training"), TrainingConfig.class));
            run.progress = RunRecords.fromJson(loaded.manifest().get("progress"), Progress.class);
            if (run.progress.finished() && tc.epochs() > run.progress.epoch()) {
                run.progress = run.progress.reopened();
            }
            run.history.addAll(RunRecords.fromJson(loaded.manifest().get("history"), new TypeReference<List<HistoryRow>>() { }));
            run.progress = RunRecords.sameChunking(loaded.manifest(), corpus, run.progress, listener);
            run.base = RunRecords.counters(loaded.manifest());
            run.clock.resumed(run.progress, loaded.manifest());
            vocab = loaded.vocabulary();
            listener.status("Resuming from " + run.dir.checkpoint() + " at epoch " + (run.progress.epoch() + 1)
                    + ", step " + run.progress.step());
        } else {
            if (Files.exists(run.dir.checkpoint())) {
                throw new UserException("The run directory " + runDir + " already holds a checkpoint. Fix: pass --resume"
                        + " to continue it, or choose another --out.");
            }
            group.barrier();            // every worker has checked before worker 0 writes the first checkpoint
            listener.status("Building the vocabulary from " + corpus.describe() + " ...");
            vocab = CorpusVocabulary.of(corpus, tc.minCount(), tc.vocabSize());
            listener.status("Vocabulary: " + vocab.size() + " words (min count " + tc.minCount() + (tc.vocabSize() > 0
                    ? ", at most " + tc.vocabSize() + " words" : "") + ", <unk> and </s> included)");
            tc = capBatch(run, tc, vocab);
        }
        run.dir.prepare();
        run.configure(mc, tc, vocab, losses.create(mc.loss(), mc.lossParams()),
                optimizers.create(tc.optimizer(), tc.optimizerParams()));
        try (NgramLanguageModel model = new NgramLanguageModel(backend, mc, vocab, run.loss, run.opt,
                DataParallelStep.modelBatch(mc.output(), tc.batch(), group.size()));
             DataParallelStep dp = group.size() > 1 ? new DataParallelStep(model, group, tc.batch()) : null) {
            run.model = model;
            run.parallel = dp;
            if (loaded != null) {
                loaded.restore(model.state(), backend);
                model.output().restoreCounter(loaded.manifest().path("outputCounter").asLong());
            } else {
                run.save(run.progress); // a checkpoint exists before the first step: SIGKILL at any point can resume
            }
            // every worker checks here, whatever its progress: one restored at an epoch's end or at the run's end
            // would otherwise reach its first step (and the check before it) later than the others, or never
            run.progress = run.guard.atStart(dp, run.progress, listener);
            while (!run.progress.finished() && run.progress.epoch() < tc.epochs()) {
                Progress p = trainEpoch(run);
                if (p == null) {
                    return run.result(true);
                }
                endEpoch(run, p);
            }
            run.writeRunFiles();
            return run.result(false);
        }
    }

    /** A minibatch larger than the training set (when its size is known) is capped at it. */
    private TrainingConfig capBatch(Run run, TrainingConfig tc, Vocabulary vocab) {
        List<Corpus.Chunk> chunks = run.corpus.chunks(Split.TRAIN);
        if (chunks.size() == 1) {
            long examples = stream(run.cache, chunks, 0, vocab, Split.TRAIN).size();
            if (examples < tc.batch()) {
                run.listener.status("Minibatch capped at " + examples + ", the number of training examples (--batch "
                        + tc.batch() + ").");
                return tc.toBuilder().batch((int) examples).build();
            }
        }
        return tc;
    }

    /** One epoch from where {@code run.progress} stands; null when interrupted (a checkpoint was written). */
    private Progress trainEpoch(Run run) {
        TrainingConfig tc = run.tc;
        List<Corpus.Chunk> trainChunks = run.corpus.chunks(Split.TRAIN);
        long epochExamples = tc.maxTrainExamples() > 0 ? tc.maxTrainExamples() : Long.MAX_VALUE;
        int epoch = run.progress.epoch();
        int[] chunkOrder = IdStream.permutation(trainChunks.size(), new Random(run.mc.seed() * 7919 + epoch));
        long known = trainChunks.size() == 1
                ? stream(run.cache, trainChunks, 0, run.vocab, Split.TRAIN).size() : Evaluator.knownSize(trainChunks);
        long epochTotal = Math.min(epochExamples, known);
        run.listener.epochStarted(epoch + 1, epochTotal == Long.MAX_VALUE ? -1 : epochTotal);
        run.startDone = run.clock.start(run.progress) > 0 ? 0 : run.progress.doneInEpoch();  // seconds and examples alike
        int global = tc.batch() * group.size();
        double totalSteps = (double) tc.epochs() * Math.ceil((double) Math.min(epochExamples, known) / global);
        Schedule schedule = tc.schedule();
        int ctx = run.mc.context();
        int[] ctxIds = new int[global * ctx];
        int[] targets = new int[global];
        int[] myCtx = new int[tc.batch() * ctx];       // this worker's share of a global minibatch (several workers)
        int[] myTargets = new int[tc.batch()];
        Progress p = run.progress;
        chunks:
        for (int ci = p.chunk(); ci < chunkOrder.length && p.doneInEpoch() < epochExamples; ci++) {
            IdStream stream = stream(run.cache, trainChunks, chunkOrder[ci], run.vocab, Split.TRAIN);
            int[] order = IdStream.permutation(stream.size(), new Random(run.mc.seed() * 1_000_003L + epoch * 7919L
                    + chunkOrder[ci]));
            long off = ci == p.chunk() ? p.offset() : 0;
            while (off < order.length && p.doneInEpoch() < epochExamples) {
                int m = (int) Math.min(Math.min(global, order.length - off), epochExamples - p.doneInEpoch());
                m -= m % group.size();     // every worker takes the same share
                if (m == 0) {
                    break;
                }
                if ((run.progress = run.guard.beforeStep(run.parallel, p, run.listener)) != p) {
                    return trainEpoch(run);     // the replica check gave this worker rank 0's position: go there
                }
                int[] cIds = m == global ? ctxIds : new int[m * ctx];
                int[] tIds = m == global ? targets : new int[m];
                for (int i = 0; i < m; i++) {
                    int t = order[(int) off + i];
                    stream.context(t, ctx, cIds, i * ctx);
                    tIds[i] = stream.target(t);
                }
                float lr = (float) schedule.rate(tc.learningRate(), p.lrScale(), p.step(), totalSteps);
                double l;
                try {
                    l = run.parallel == null ? run.model.trainStep(cIds, tIds, m, lr)
                            : run.parallel.step(share(cIds, m, ctx, myCtx), share(tIds, m, 1, myTargets),
                            m / group.size(), lr);
                } catch (DivergenceException e) {
                    throw e.at(epoch + 1, p.step() + 1, lr, run.dir.checkpoint());
                }
                if (!Double.isFinite(l)) {
                    throw new DivergenceException("the training loss is " + l).at(epoch + 1, p.step() + 1, lr,
                            run.dir.checkpoint());
                }
                off += m;
                p = p.afterBatch(ci, off, m, l);
                run.listener.batchDone(p.doneInEpoch(), l);
                int signal = run.signals.afterStep(run.history, run.clock.startNanos());
                if (signal == StopSignals.BUDGET) {
                    break chunks;       // the training-time budget is spent: this epoch ends here, and is the last
                }
                if (signal == StopSignals.INTERRUPT) {
                    run.save(p);
                    run.listener.status("Interrupted: checkpoint written to " + run.dir.checkpoint() + " at step "
                            + p.step() + ". Resume with --resume.");
                    run.progress = p;
                    return null;
                }
                if (tc.checkpointEvery() > 0 && p.step() % tc.checkpointEvery() == 0) {
                    run.save(p);
                }
            }
            if (p.doneInEpoch() < epochExamples) {
                p = p.nextChunk(ci + 1);
            }
        }
        run.listener.epochTrained(epoch + 1);
        return p;
    }

    /** This worker's rows of a global minibatch of m examples ({@code width} ids each), copied into {@code into}. */
    private int[] share(int[] ids, int m, int width, int[] into) {
        int mine = m / group.size() * width;
        System.arraycopy(ids, group.rank() * mine, into, 0, mine);
        return into;
    }

    /** Validation, the schedule and early stopping after an epoch; then a checkpoint and the run files. */
    private void endEpoch(Run run, Progress p) {
        int epoch = p.epoch();
        double secs = run.clock.seconds(p);
        double eps = (p.doneInEpoch() - run.startDone) / Math.max(secs, 1e-9);
        Metrics valid = evaluator.evaluate(run.model, run.corpus.chunks(Split.VALID), run.vocab, Split.VALID,
                run.tc.maxEvalExamples(), run.listener, run.cache);
        double trainLoss = p.lossSum() / Math.max(1, p.lossCount());
        if (valid.examples() == 0) {
            throw new UserException("The validation split of " + run.corpus.describe() + " has no example. Fix: give "
                    + "the corpus a validation split with text (valid.txt, or larger --split fractions).");
        }
        if (!Double.isFinite(valid.loss()) || !Double.isFinite(trainLoss)) {   // before the checkpoint is replaced
            String what = Double.isFinite(trainLoss) ? "the validation loss is " + valid.loss()
                    : "the epoch's mean training loss is " + trainLoss;
            throw new DivergenceException(what).at(epoch + 1, p.step(), run.tc.learningRate() * p.lrScale(),
                    run.dir.checkpoint());
        }
        Map<String, Long> counters = run.counters();
        run.history.add(new HistoryRow(epoch + 1, trainLoss, valid, eps, secs, counters.getOrDefault("controlledSteps",
                0L), counters.getOrDefault("hostSolves", 0L)));
        run.listener.epochEnded(epoch + 1, valid, trainLoss, eps);
        double top10 = valid.topKError().get(10);
        boolean improved = HistoryRow.lastIsBest(run.history);  // the project's one tie rule: the earliest best
        int bad = improved ? 0 : p.badEpochs() + 1;
        double scale = run.tc.schedule().scaleAfterEpoch(p.lrScale(), improved);
        boolean stopEarly = run.tc.patience() > 0 && bad >= run.tc.patience();
        boolean last = epoch + 1 >= run.tc.epochs() || run.signals.budgetSpent();   // agreed by every worker
        run.progress = p.nextEpoch(scale, Math.min(top10, p.bestTop10()), bad, stopEarly || last);
        if (stopEarly && !last) {
            run.listener.status("Early stopping: validation top-10 error has not improved for " + bad + " epochs.");
        }
        run.save(run.progress);
        run.writeRunFiles();
        run.listener.checkpointed(List.copyOf(run.history), run.dir.checkpoint());
        RunRecords.reportSafetyCounters(run.counters(), run.listener);
    }

    /** Loads a checkpoint file (a run's, or a copy of one) and evaluates it on a split of the corpus. */
    public Metrics evaluateCheckpoint(Path file, Corpus corpus, Split split, long maxExamples,
                                      TrainingListener listener) {
        Checkpoint c = Checkpoint.read(file);
        LossPlugin.requireLoaded(c.manifest(), losses).ifPresent(w -> listener.status(w));
        ModelConfig mc = RunRecords.withRecordedLoss(RunRecords.fromJson(c.manifest().get("model"), ModelConfig.class), c.manifest());
        TrainingConfig tc = RunRecords.fromJson(c.manifest().get("training"), TrainingConfig.class);
        SphericalLoss loss = losses.create(mc.loss(), mc.lossParams());
        Optimizer opt = optimizers.create(tc.optimizer(), tc.optimizerParams());
        try (NgramLanguageModel model = new NgramLanguageModel(backend, mc, c.vocabulary(), loss, opt, tc.batch())) {
            c.restore(model.state(), backend);
            model.output().restoreCounter(c.manifest().path("outputCounter").asLong());
            return evaluator.evaluate(model, corpus.chunks(split), c.vocabulary(), split, maxExamples, listener,
                    new HashMap<>());
        }
    }

    /** Top-k errors, MRR, loss and perplexity of a model on chunks (in order, at most {@code limit} examples). */
    public Metrics evaluate(NgramLanguageModel model, List<Corpus.Chunk> chunks, Vocabulary vocab, Split split,
                            long limit, TrainingListener listener, Map<Split, List<IdStream>> cache) {
        return evaluator.evaluate(model, chunks, vocab, split, limit, listener, cache);
    }

    private static IdStream stream(Map<Split, List<IdStream>> cache, List<Corpus.Chunk> chunks, int index,
                                   Vocabulary vocab, Split split) {
        if (chunks.size() == 1) {
            return cache.computeIfAbsent(split, k -> List.of(chunks.get(0).ids(vocab))).get(0);
        }
        return chunks.get(index).ids(vocab);
    }

    /** What one call of {@link #train} works with. */
    private final class Run {
        final Corpus corpus;
        final RunDirectory dir;
        final TrainingListener listener;
        final AtomicBoolean stop;
        final long t0 = System.nanoTime();
        final List<HistoryRow> history = new ArrayList<>();
        final Map<Split, List<IdStream>> cache = new HashMap<>();
        Progress progress = Progress.start();
        ModelConfig mc;
        TrainingConfig tc;
        Vocabulary vocab;
        SphericalLoss loss;
        Optimizer opt;
        NgramLanguageModel model;
        DataParallelStep parallel;
        final ReplicaGuard guard = new ReplicaGuard(group.rank());
        StopSignals signals;
        Map<String, Long> base = Map.of();
        final EpochClock clock = new EpochClock();
        long startDone;

        Run(Corpus corpus, RunDirectory dir, TrainingListener listener, AtomicBoolean stop) {
            this.corpus = corpus;
            this.dir = dir;
            this.listener = listener;
            this.stop = stop;
        }

        void configure(ModelConfig m, TrainingConfig t, Vocabulary v, SphericalLoss l, Optimizer o) {
            mc = m;
            tc = t;
            signals = new StopSignals(group, stop, t.maxTrainSeconds());
            vocab = v;
            loss = l;
            opt = o;
        }

        void save(Progress p) {
            if (group.rank() != 0) {
                return;                 // every worker holds the same state; worker 0 keeps it
            }
            dir.saveCheckpoint(RunDirectory.record(backend, mc, tc, loss, opt, vocab, corpus)
                    .put("trainChunks", corpus.chunks(Split.TRAIN).size()).put(EpochClock.FIELD, clock.seconds(p))
                    .set("diagnostics",
                            Checkpoint.JSON.valueToTree(counters())), model, vocab, p, history, backend);
        }

        /** The output layer's counters since the run started: the checkpoint's (on resume) plus this process's. */
        Map<String, Long> counters() {
            Map<String, Long> c = new java.util.LinkedHashMap<>(model.output().diagnostics());
            base.forEach((k, v) -> c.merge(k, v, Long::sum));
            return c;
        }

        void writeRunFiles() {
            if (group.rank() != 0) {
                return;
            }
            dir.writeRunFiles(RunDirectory.record(backend, mc, tc, loss, opt, vocab, corpus), mc.seed(), history,
                    counters(), seconds());
        }

        double seconds() {
            return (System.nanoTime() - t0) / 1e9;
        }

        Result result(boolean interrupted) {
            return new Result(history, dir.path(), interrupted, progress, seconds());
        }
    }
}
