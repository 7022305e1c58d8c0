package io.spherical.models.train;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.Backend;
import io.spherical.api.Optimizer;
import io.spherical.api.SphericalLoss;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.data.Corpus;
import io.spherical.models.data.IdStream;
import io.spherical.models.data.Split;
import io.spherical.models.data.Vocabulary;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.output.DivergenceException;
import io.spherical.models.output.OutputLayer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Trains an n-gram language model on a corpus: epochs over shuffled examples (seeded, so a run is deterministic for
 * a seed and a backend), validation after each epoch, learning-rate schedule, early stopping, checkpoints that let a
 * resumed run continue exactly, and the run directory ({@code checkpoint.zip}, {@code run.json}, {@code metrics.csv}).
 */
public final class Trainer {
    /** The checkpoint's file name in a run directory. */
    public static final String CHECKPOINT = "checkpoint.zip";
    private static final long SCORE_BUDGET = 32L << 20;

    private final Backend backend;
    private final LossRegistry losses;
    private final OptimizerRegistry optimizers;

    /** A trainer on a backend with the registries of losses and optimizers. */
    public Trainer(Backend backend, LossRegistry losses, OptimizerRegistry optimizers) {
        this.backend = backend;
        this.losses = losses;
        this.optimizers = optimizers;
    }

    /** The outcome of {@link #train}. */
    public record Result(List<HistoryRow> history, Path runDir, boolean interrupted, Progress progress,
                         double seconds) {
    }

    /** Trains, or resumes with the checkpoint's own number of epochs; see the full overload. */
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
                        java.util.function.UnaryOperator<TrainingConfig> onResume, TrainingListener listener,
                        AtomicBoolean stop) {
        long t0 = System.nanoTime();
        Path ckpt = runDir.resolve(CHECKPOINT);
        ModelConfig mc = modelCfg.validate();
        TrainingConfig tc = trainCfg.validate();
        Vocabulary vocab;
        Progress progress = Progress.start();
        List<HistoryRow> history = new ArrayList<>();
        Map<Split, List<IdStream>> cache = new HashMap<>();
        Checkpoint loaded = null;
        // fail on a bad loss or optimizer before any expensive work
        losses.create(mc.loss(), mc.lossParams());
        optimizers.create(tc.optimizer(), tc.optimizerParams());
        if (resume) {
            if (!Files.exists(ckpt)) {
                throw new UserException("--resume was given but " + ckpt + " does not exist. Fix: drop --resume to start"
                        + " a new run, or point --out at the run directory to continue.");
            }
            loaded = Checkpoint.read(ckpt);
            mc = fromJson(loaded.manifest().get("model"), ModelConfig.class);
            TrainingConfig saved = fromJson(loaded.manifest().get("training"), TrainingConfig.class);
            tc = onResume.apply(saved).validate();
            progress = fromJson(loaded.manifest().get("progress"), Progress.class);
            if (progress.finished() && tc.epochs() > progress.epoch()) {
                progress = new Progress(progress.epoch(), 0, 0, 0, progress.step(), 0, 0, progress.lrScale(),
                        progress.bestTop10(), 0, false);
            }
            history.addAll(fromJson(loaded.manifest().get("history"), new TypeReference<List<HistoryRow>>() { }));
            vocab = loaded.vocabulary();
            listener.status("Resuming from " + ckpt + " at epoch " + (progress.epoch() + 1) + ", step " + progress.step());
        } else {
            if (Files.exists(ckpt)) {
                throw new UserException("The run directory " + runDir + " already holds a checkpoint. Fix: pass --resume to"
                        + " continue it, or choose another --out.");
            }
            listener.status("Building the vocabulary from " + corpus.describe() + " ...");
            vocab = buildVocabulary(corpus, tc.minCount());
            listener.status("Vocabulary: " + vocab.size() + " words (min count " + tc.minCount() + ", <unk> and </s> included)");
            List<Corpus.Chunk> chunks = corpus.chunks(Split.TRAIN);
            if (chunks.size() == 1) {
                long examples = stream(cache, chunks, 0, vocab, Split.TRAIN).size();
                if (examples < tc.batch()) {
                    listener.status("Minibatch capped at " + examples + ", the number of training examples (--batch "
                            + tc.batch() + ").");
                    tc = tc.withBatch((int) examples);
                }
            }
        }
        prepare(runDir);
        SphericalLoss loss = losses.create(mc.loss(), mc.lossParams());
        Optimizer opt = optimizers.create(tc.optimizer(), tc.optimizerParams());
        try (NgramLanguageModel model = new NgramLanguageModel(backend, mc, vocab, loss, opt, tc.batch())) {
            if (loaded != null) {
                loaded.restore(model.state(), backend);
                model.output().restoreCounter(loaded.manifest().path("outputCounter").asLong());
            } else {
                // make sure a checkpoint exists before the first step (SIGKILL at any point can resume)
                save(ckpt, model, mc, tc, loss, opt, vocab, corpus, progress, history);
            }
            List<Corpus.Chunk> trainChunks = corpus.chunks(Split.TRAIN);
            long epochExamples = tc.maxTrainExamples() > 0 ? tc.maxTrainExamples() : Long.MAX_VALUE;
            while (!progress.finished() && progress.epoch() < tc.epochs()) {
                int epoch = progress.epoch();
                int[] chunkOrder = permutation(trainChunks.size(), new Random(mc.seed() * 7919 + epoch));
                long known = trainChunks.size() == 1
                        ? stream(cache, trainChunks, 0, vocab, Split.TRAIN).size() : Long.MAX_VALUE;
                long epochTotal = Math.min(epochExamples, known);
                listener.epochStarted(epoch + 1, epochTotal == Long.MAX_VALUE ? -1 : epochTotal);
                long epochStart = System.nanoTime();
                long startDone = progress.doneInEpoch();
                Progress p = progress;
                int ctx = mc.context();
                int[] ctxIds = new int[tc.batch() * ctx];
                int[] targets = new int[tc.batch()];
                outer:
                for (int ci = p.chunk(); ci < chunkOrder.length; ci++) {
                    IdStream stream = stream(cache, trainChunks, chunkOrder[ci], vocab, Split.TRAIN);
                    int[] order = permutation(stream.size(), new Random(mc.seed() * 1_000_003L + epoch * 7919L + chunkOrder[ci]));
                    long off = ci == p.chunk() ? p.offset() : 0;
                    while (off < order.length && p.doneInEpoch() < epochExamples) {
                        int m = (int) Math.min(Math.min(tc.batch(), order.length - off), epochExamples - p.doneInEpoch());
                        int[] cIds = m == tc.batch() ? ctxIds : new int[m * ctx];
                        int[] tIds = m == tc.batch() ? targets : new int[m];
                        for (int i = 0; i < m; i++) {
                            int t = order[(int) off + i];
                            stream.context(t, ctx, cIds, i * ctx);
                            tIds[i] = stream.target(t);
                        }
                        float lr = (float) learningRate(tc, p, epochExamples, cache, trainChunks);
                        double l;
                        try {
                            l = model.trainStep(cIds, tIds, m, lr);
                        } catch (DivergenceException e) {
                            throw new UserException(e.getMessage().replace("Fix:", "(epoch " + (epoch + 1) + ", step "
                                    + (p.step() + 1) + "). The last good checkpoint is " + ckpt + ". Fix:"), e);
                        }
                        off += m;
                        p = new Progress(epoch, ci, off, p.doneInEpoch() + m, p.step() + 1, p.lossSum() + l,
                                p.lossCount() + 1, p.lrScale(), p.bestTop10(), p.badEpochs(), false);
                        listener.batchDone(p.doneInEpoch(), l);
                        if (stop.get()) {
                            save(ckpt, model, mc, tc, loss, opt, vocab, corpus, p, history);
                            listener.status("Interrupted: checkpoint written to " + ckpt + " at step " + p.step()
                                    + ". Resume with --resume.");
                            return new Result(history, runDir, true, p, (System.nanoTime() - t0) / 1e9);
                        }
                        if (tc.checkpointEvery() > 0 && p.step() % tc.checkpointEvery() == 0) {
                            save(ckpt, model, mc, tc, loss, opt, vocab, corpus, p, history);
                        }
                        if (p.doneInEpoch() >= epochExamples) {
                            break outer;
                        }
                    }
                    p = new Progress(epoch, ci + 1, 0, p.doneInEpoch(), p.step(), p.lossSum(), p.lossCount(),
                            p.lrScale(), p.bestTop10(), p.badEpochs(), false);
                }
                listener.epochTrained(epoch + 1);
                double secs = (System.nanoTime() - epochStart) / 1e9;
                double eps = (p.doneInEpoch() - startDone) / Math.max(secs, 1e-9);
                Metrics valid = evaluate(model, corpus.chunks(Split.VALID), vocab, Split.VALID, tc.maxEvalExamples(),
                        listener, cache);
                double trainLoss = p.lossSum() / Math.max(1, p.lossCount());
                history.add(new HistoryRow(epoch + 1, trainLoss, valid, eps, secs));
                listener.epochEnded(epoch + 1, valid, trainLoss, eps);
                double top10 = valid.topKError().get(10);
                boolean improved = top10 < p.bestTop10();
                int bad = improved ? 0 : p.badEpochs() + 1;
                double scale = p.lrScale();
                if (!improved && tc.schedule().equals("plateau")) {
                    scale *= 0.5;
                }
                boolean stopEarly = tc.patience() > 0 && bad >= tc.patience();
                boolean last = epoch + 1 >= tc.epochs();
                progress = new Progress(epoch + 1, 0, 0, 0, p.step(), 0, 0, scale, Math.min(top10, p.bestTop10()), bad,
                        stopEarly || last);
                if (stopEarly && !last) {
                    listener.status("Early stopping: validation top-10 error has not improved for " + bad + " epochs.");
                }
                save(ckpt, model, mc, tc, loss, opt, vocab, corpus, progress, history);
                writeRunFiles(runDir, mc, tc, loss, opt, vocab, corpus, history, model.output().diagnostics(),
                        (System.nanoTime() - t0) / 1e9);
                reportSafetyCounters(model.output().diagnostics(), listener);
            }
            writeRunFiles(runDir, mc, tc, loss, opt, vocab, corpus, history, model.output().diagnostics(),
                    (System.nanoTime() - t0) / 1e9);
            return new Result(history, runDir, false, progress, (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Loads the run's checkpoint and evaluates it on a split of the corpus. */
    public Metrics evaluate(Path runDir, Corpus corpus, Split split, long maxExamples, TrainingListener listener) {
        Checkpoint c = Checkpoint.read(runDir.resolve(CHECKPOINT));
        ModelConfig mc = fromJson(c.manifest().get("model"), ModelConfig.class);
        TrainingConfig tc = fromJson(c.manifest().get("training"), TrainingConfig.class);
        SphericalLoss loss = losses.create(mc.loss(), mc.lossParams());
        Optimizer opt = optimizers.create(tc.optimizer(), tc.optimizerParams());
        try (NgramLanguageModel model = new NgramLanguageModel(backend, mc, c.vocabulary(), loss, opt, tc.batch())) {
            c.restore(model.state(), backend);
            model.output().restoreCounter(c.manifest().path("outputCounter").asLong());
            return evaluate(model, corpus.chunks(split), c.vocabulary(), split, maxExamples, listener, new HashMap<>());
        }
    }

    /** Top-k errors, MRR, loss and perplexity of a model on chunks (in order, at most {@code limit} examples). */
    public Metrics evaluate(NgramLanguageModel model, List<Corpus.Chunk> chunks, Vocabulary vocab, Split split,
                            long limit, TrainingListener listener, Map<Split, List<IdStream>> cache) {
        OutputLayer out = model.output();
        int classes = out.classes();
        int m = (int) Math.max(1, Math.min(model.maxBatch(), SCORE_BUDGET / classes));
        int ctx = model.config().context();
        Metrics.Accumulator acc = new Metrics.Accumulator();
        if (chunks.size() == 1 && !cache.containsKey(split)) {
            cache.put(split, List.of(IdStream.of(chunks.get(0).sentences(), vocab)));
        }
        long known = chunks.size() == 1 ? cache.get(split).get(0).size() : Long.MAX_VALUE;
        long total = Math.min(limit > 0 ? limit : Long.MAX_VALUE, known);
        listener.evaluationStarted(split.label(), total == Long.MAX_VALUE ? -1 : total);
        int[] ranks = new int[m];
        double[] lossArr = new double[m];
        try (Tensor scores = backend.zeros(m, classes)) {
            long done = 0;
            for (int ci = 0; ci < chunks.size() && done < total; ci++) {
                IdStream s = chunks.size() == 1 ? cache.get(split).get(0) : IdStream.of(chunks.get(ci).sentences(), vocab);
                for (int t0 = 0; t0 < s.size() && done < total; t0 += m) {
                    int n = (int) Math.min(Math.min(m, s.size() - t0), total - done);
                    int[] c = new int[n * ctx];
                    int[] tg = new int[n];
                    for (int i = 0; i < n; i++) {
                        s.context(t0 + i, ctx, c, i * ctx);
                        tg[i] = s.target(t0 + i);
                    }
                    Tensor h = model.forward(c, n);
                    Tensor sv = scores.rowRange(0, n);
                    out.scores(h, sv);
                    backend.targetRanks(sv, tg, ranks);
                    out.losses(h, tg, lossArr);
                    for (int i = 0; i < n; i++) {
                        acc.add(ranks[i], lossArr[i]);
                    }
                    done += n;
                    listener.evaluated(done);
                }
            }
        }
        listener.evaluationEnded(split.label());
        return acc.result(split.label(), out.normalised());
    }

    /** Counts words over the training chunks (streaming) and keeps those seen at least minCount times. */
    public static Vocabulary buildVocabulary(Corpus corpus, int minCount) {
        Map<String, Long> counts = new HashMap<>();
        long eos = 0;
        long tokens = 0;
        for (Corpus.Chunk chunk : corpus.chunks(Split.TRAIN)) {
            for (String[] s : chunk.sentences()) {
                for (String w : s) {
                    counts.merge(w, 1L, Long::sum);
                }
                eos++;
                tokens += s.length;
            }
        }
        if (tokens == 0) {
            throw new UserException("The training split of " + corpus.describe() + " is empty. Fix: point the corpus at"
                    + " a directory whose training file holds text, one sentence per line.");
        }
        return Vocabulary.build(counts, eos, minCount);
    }

    private static IdStream stream(Map<Split, List<IdStream>> cache, List<Corpus.Chunk> chunks, int index,
                                   Vocabulary vocab, Split split) {
        if (chunks.size() == 1) {
            return cache.computeIfAbsent(split, k -> List.of(IdStream.of(chunks.get(0).sentences(), vocab))).get(0);
        }
        return IdStream.of(chunks.get(index).sentences(), vocab);
    }

    private static double learningRate(TrainingConfig tc, Progress p, long epochExamples,
                                       Map<Split, List<IdStream>> cache, List<Corpus.Chunk> chunks) {
        double lr = tc.learningRate() * p.lrScale();
        if (tc.schedule().equals("linear")) {
            long perEpoch = Math.min(epochExamples, cache.containsKey(Split.TRAIN) && chunks.size() == 1
                    ? cache.get(Split.TRAIN).get(0).size() : epochExamples);
            double totalSteps = Math.max(1.0, (double) tc.epochs() * Math.ceil((double) perEpoch / tc.batch()));
            lr *= Math.max(0.0, 1.0 - p.step() / totalSteps);
        }
        return lr;
    }

    static int[] permutation(int n, Random r) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i];
            p[i] = p[j];
            p[j] = t;
        }
        return p;
    }

    private void prepare(Path runDir) {
        try {
            Files.createDirectories(runDir);
            Path probe = Files.createTempFile(runDir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new UserException("The output directory " + runDir + " is not writable (" + e.getMessage()
                    + "). Fix: choose a writable --out.", e);
        }
    }

    private void save(Path ckpt, NgramLanguageModel model, ModelConfig mc, TrainingConfig tc, SphericalLoss loss,
                      Optimizer opt, Vocabulary vocab, Corpus corpus, Progress progress, List<HistoryRow> history) {
        ObjectNode m = manifest(mc, tc, loss, opt, vocab, corpus);
        m.set("progress", Checkpoint.JSON.valueToTree(progress));
        m.set("history", Checkpoint.JSON.valueToTree(history));
        m.put("outputCounter", model.output().counter());
        Checkpoint.write(ckpt, m, vocab, model.state(), backend);
    }

    private ObjectNode manifest(ModelConfig mc, TrainingConfig tc, SphericalLoss loss, Optimizer opt, Vocabulary vocab,
                                Corpus corpus) {
        ObjectNode m = Checkpoint.JSON.createObjectNode();
        m.put("created", Instant.now().toString());
        ObjectNode prov = m.putObject("provenance");
        prov.put("spherical", version());
        prov.put("java", System.getProperty("java.version"));
        prov.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        prov.put("backend", backend.name());
        prov.put("device", backend.device());
        m.set("model", Checkpoint.JSON.valueToTree(mc));
        m.set("training", Checkpoint.JSON.valueToTree(tc));
        ObjectNode l = m.putObject("loss");
        l.put("name", loss.name());
        l.set("values", Checkpoint.JSON.valueToTree(loss.values()));
        ObjectNode o = m.putObject("optimizer");
        o.put("name", opt.name());
        o.set("values", Checkpoint.JSON.valueToTree(opt.values()));
        m.put("corpus", corpus.describe());
        m.put("vocabularySize", vocab.size());
        return m;
    }

    /** One status line when the output layer's safety mechanisms acted (counts since this process started). */
    private static void reportSafetyCounters(Map<String, Long> counters, TrainingListener listener) {
        long control = counters.getOrDefault("controlledSteps", 0L);
        long repairs = counters.getOrDefault("repairs", 0L);
        long solves = counters.getOrDefault("hostSolves", 0L);
        if (control + repairs + solves > 0) {
            listener.status("Output layer: " + control + " steps reduced by the step control, " + repairs
                    + " exact recomputations of Q, " + solves + " direct solves (see run.json, \"diagnostics\").");
        }
    }

    private void writeRunFiles(Path runDir, ModelConfig mc, TrainingConfig tc, SphericalLoss loss, Optimizer opt,
                               Vocabulary vocab, Corpus corpus, List<HistoryRow> history, Map<String, Long> diagnostics,
                               double seconds) {
        ObjectNode run = manifest(mc, tc, loss, opt, vocab, corpus);
        run.put("seed", mc.seed());
        run.set("diagnostics", Checkpoint.JSON.valueToTree(diagnostics));
        ObjectNode timings = run.putObject("timings");
        timings.put("totalSeconds", seconds);
        ArrayNode epochs = timings.putArray("epochSeconds");
        history.forEach(h -> epochs.add(h.seconds()));
        run.set("history", Checkpoint.JSON.valueToTree(history));
        StringBuilder csv = new StringBuilder("epoch,split,loss,top1_error,top5_error,top10_error,top20_error,"
                + "top50_error,top100_error,mrr,perplexity,examples_per_s,seconds\n");
        for (HistoryRow h : history) {
            Metrics v = h.metrics();
            csv.append(String.format(Locale.ROOT, "%d,train,%.6f,,,,,,,,%s,%.1f,%.2f%n", h.epoch(), h.trainLoss(),
                    v.perplexity() == v.perplexity() ? String.format(Locale.ROOT, "%.4f", Math.exp(h.trainLoss())) : "",
                    h.examplesPerSecond(), h.seconds()));
            csv.append(csvRow(h.epoch(), v, h.examplesPerSecond(), h.seconds()));
        }
        try {
            writeAtomically(runDir.resolve("run.json"), Checkpoint.JSON.writeValueAsBytes(run));
            writeAtomically(runDir.resolve("metrics.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserException("Cannot write run files into " + runDir + ": " + e.getMessage()
                    + ". Fix: choose a writable --out.", e);
        }
    }

    /** A metrics.csv line for a split's metrics. */
    public static String csvRow(int epoch, Metrics v, double eps, double secs) {
        Map<Integer, Double> e = v.topKError();
        return String.format(Locale.ROOT, "%d,%s,%.6f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%s,%.1f,%.2f%n", epoch,
                v.split(), v.loss(), e.get(1), e.get(5), e.get(10), e.get(20), e.get(50), e.get(100), v.mrr(),
                Double.isNaN(v.perplexity()) ? "" : String.format(Locale.ROOT, "%.4f", v.perplexity()), eps, secs);
    }

    /** Writes a file via a temporary sibling and a rename. */
    public static void writeAtomically(Path file, byte[] data) throws IOException {
        Path tmp = Files.createTempFile(file.toAbsolutePath().getParent(), file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, data);
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static String version() {
        String v = Trainer.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }

    static <T> T fromJson(com.fasterxml.jackson.databind.JsonNode node, Class<T> type) {
        try {
            return Checkpoint.JSON.treeToValue(node, type);
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException("The checkpoint's " + type.getSimpleName() + " is unreadable (" + e.getMessage()
                    + "). Fix: start a new run directory.", e);
        }
    }

    static <T> T fromJson(com.fasterxml.jackson.databind.JsonNode node, TypeReference<T> type) {
        try {
            return Checkpoint.JSON.readerFor(type).readValue(node);
        } catch (IOException | IllegalArgumentException e) {
            throw new UserException("The checkpoint's history is unreadable (" + e.getMessage()
                    + "). Fix: start a new run directory.", e);
        }
    }
}
