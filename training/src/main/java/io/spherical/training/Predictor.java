package io.spherical.training;

import io.spherical.api.Backend;
import io.spherical.api.BackendDiscovery;
import io.spherical.api.Tensor;
import io.spherical.api.UserException;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.loss.LossRegistry;
import io.spherical.models.optim.OptimizerRegistry;
import io.spherical.models.output.OutputLayer;
import io.spherical.models.output.TopK;
import io.spherical.training.checkpoint.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A trained run, loaded for questions: the most likely next words after a context, and the scores of given words.
 * Contexts are tokenised as the run's corpus was ({@link RunTokens}); the model reads the last n - 1 words (earlier
 * ones are dropped, and a shorter context starts a sentence, as if {@code </s>} came before it). Exact: every class is
 * scored, in blocks of examples whose score matrix stays within {@link #SCORE_BUDGET} floats, and the top k of each row
 * are selected by {@link TopK}. Thread-safe: concurrent callers are served one batch at a time (the model's
 * buffers are shared), so several threads get the answers one thread would.
 *
 * <pre>{@code
 * try (Predictor p = Predictor.load(Path.of("runs/latest"))) {
 *     for (Predictor.Prediction x : p.topK("the cat sat on the", 10)) {
 *         System.out.println(x.word() + " " + x.score());
 *     }
 * }
 * }</pre>
 */
public final class Predictor implements AutoCloseable {
    /** Floats of scores held at once (32M: 128 MiB), whatever D and the batch. */
    public static final long SCORE_BUDGET = 32L << 20;

    /**
     * One answer.
     *
     * @param word        the word
     * @param id          its id in the run's vocabulary
     * @param score       the output layer's score (a log-probability for normalised layers, the spherical output o_c
     *                    otherwise)
     * @param probability the model's probability of the word, NaN when the output layer is not normalised
     */
    public record Prediction(String word, int id, double score, double probability) {
    }

    private final Backend backend;
    private final boolean ownsBackend;
    private final NgramLanguageModel model;
    private final Vocabulary vocab;
    private final RunTokens tokens;
    private final int context;
    private final int maxBatch;
    private final List<String> warnings;

    private Predictor(Backend backend, boolean owns, NgramLanguageModel model, Vocabulary vocab, RunTokens tokens,
                      List<String> warnings) {
        this.backend = backend;
        this.ownsBackend = owns;
        this.model = model;
        this.vocab = vocab;
        this.tokens = tokens;
        this.context = model.config().context();
        this.maxBatch = model.maxBatch();
        this.warnings = List.copyOf(warnings);
    }

    /** The run in {@code runDir} (its checkpoint.zip) on the best available backend. */
    public static Predictor load(Path runDir) {
        Backend b = BackendDiscovery.discover().create(null);                  // plugin jars included
        try {
            return load(runDir, b, true);
        } catch (RuntimeException e) {
            b.close();
            throw e;
        }
    }

    /** The run in {@code runDir} on {@code backend} (which the caller keeps and closes). */
    public static Predictor load(Path runDir, Backend backend) {
        return load(runDir, backend, false);
    }

    private static Predictor load(Path runDir, Backend backend, boolean owns) {
        Path file = runDir.resolve(Trainer.CHECKPOINT);
        if (!Files.isRegularFile(file)) {
            throw new UserException("No checkpoint in " + runDir + ". Fix: pass the run directory of a 'spherical "
                    + "train' run (it holds checkpoint.zip).");
        }
        Checkpoint c = Checkpoint.read(file);
        ModelConfig mc = RunRecords.withRecordedLoss(RunRecords.fromJson(c.manifest().get("model"), ModelConfig.class),
                c.manifest());
        TrainingConfig tc = RunRecords.fromJson(c.manifest().get("training"), TrainingConfig.class);
        LossRegistry losses = LossRegistry.discover();
        List<String> warnings = LossPlugin.requireLoaded(c.manifest(), losses).stream().toList();
        var loss = losses.create(mc.loss(), mc.lossParams());
        var opt = OptimizerRegistry.discover().create(tc.optimizer(), tc.optimizerParams());
        int batch = Math.max(1, Math.min(tc.batch(), 256));
        NgramLanguageModel m = new NgramLanguageModel(backend, mc, c.vocabulary(), loss, opt, batch);
        try {
            c.restore(m.state(), backend);
            m.output().restoreCounter(c.manifest().path("outputCounter").asLong());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new Predictor(backend, owns, m, c.vocabulary(), RunTokens.forSpec(c.manifest().path("corpusSpec")
                .asText("")), warnings);
    }

    /**
     * What loading noticed and the caller may show, one line each: the run's loss plugin loaded from another jar than
     * the one it was trained with ({@link LossPlugin#requireLoaded}). Empty as a rule.
     */
    public List<String> warnings() {
        return warnings;
    }

    /** The words of the run's vocabulary ({@code </s>} and {@code <unk>} first). */
    public Vocabulary vocabulary() {
        return vocab;
    }

    /** Whether the scores are log-probabilities (then each prediction has its probability). */
    public boolean normalised() {
        return model.output().normalised();
    }

    /** The number of previous words the model reads. */
    public int contextWords() {
        return context;
    }

    /** Whether a context has more words than the model reads (then only its last {@link #contextWords()} count). */
    public boolean truncates(String text) {
        return tokens.tokens(text).size() > context;
    }

    /** The k most likely next words after {@code text}, best first. */
    public List<Prediction> topK(String text, int k) {
        return topK(List.of(text), k).get(0);
    }

    /** The k most likely next words after each context, best first; batched internally. */
    public synchronized List<List<Prediction>> topK(List<String> texts, int k) {
        if (k < 1 || k > vocab.size()) {
            throw new UserException("--k must be between 1 and the vocabulary size " + vocab.size() + ", got " + k
                    + ". Fix: for example --k 10.");
        }
        OutputLayer out = model.output();
        int classes = out.classes();
        int block = (int) Math.max(1, Math.min(Math.min(maxBatch, texts.size()), SCORE_BUDGET / classes));
        List<List<Prediction>> answers = new ArrayList<>(texts.size());
        float[] host = new float[block * classes];
        double[] losses = new double[block];
        try (Tensor scores = backend.zeros(block, classes)) {
            for (int from = 0; from < texts.size(); from += block) {
                int n = Math.min(block, texts.size() - from);
                int[] ctx = contexts(texts.subList(from, from + n));
                Tensor h = model.forward(ctx, n);
                double[] offsets = new double[n];
                int[][] best = TopK.rows(backend, out, h, k, scores, host, offsets);
                double[][] bestScores = new double[n][k];
                for (int i = 0; i < n; i++) {            // n <= the buffer's rows: the block's scores are in host
                    for (int j = 0; j < k; j++) {
                        bestScores[i][j] = host[i * classes + best[i][j]] + offsets[i];
                    }
                }
                double[][] prob = new double[n][k];
                for (int j = 0; j < k; j++) {
                    int[] tg = new int[n];
                    for (int i = 0; i < n; i++) {
                        tg[i] = best[i][j];
                    }
                    if (out.normalised()) {
                        out.losses(h, tg, losses);
                    }
                    for (int i = 0; i < n; i++) {
                        prob[i][j] = out.normalised() ? Math.exp(-losses[i]) : Double.NaN;
                    }
                }
                for (int i = 0; i < n; i++) {
                    List<Prediction> a = new ArrayList<>(k);
                    for (int j = 0; j < k; j++) {
                        a.add(new Prediction(vocab.word(best[i][j]), best[i][j], bestScores[i][j], prob[i][j]));
                    }
                    answers.add(a);
                }
            }
        }
        return answers;
    }

    /** The scores of {@code words} after {@code text} (a word outside the vocabulary is scored as {@code <unk>}). */
    public synchronized double[] scores(String text, List<String> words) {
        OutputLayer out = model.output();
        try (Tensor sv = backend.zeros(1, out.classes())) {
            Tensor h = model.forward(contexts(List.of(text)), 1);
            out.scores(h, sv);
            float[] row = backend.toHost(sv);
            return words.stream().mapToDouble(w -> row[vocab.id(w)]).toArray();
        }
    }

    /** The ids of the last n - 1 words of each text, {@code </s>} (0) before a shorter one. */
    int[] contexts(List<String> texts) {
        int[] ctx = new int[texts.size() * context];
        for (int i = 0; i < texts.size(); i++) {
            List<String> t = tokens.tokens(texts.get(i));
            if (t.isEmpty()) {
                throw new UserException("An empty context (line " + (i + 1) + "). Fix: give at least one word.");
            }
            for (int k = 0; k < context; k++) {
                int pos = t.size() - context + k;
                ctx[i * context + k] = pos >= 0 ? vocab.id(t.get(pos)) : 0;
            }
        }
        return ctx;
    }

    // ---- the approximate index (spherical index, predict --approximate) ------------------------------------------

    /** The file of a run's approximate index. */
    public static final String INDEX = "index.bin";

    private ClusterIndex index;

    /** The queries of a batch of contexts (ids, {@code n * contextWords()}): the output layer's input with its bias. */
    synchronized float[][] queries(int[] ctx, int n) {
        int dIn = model.config().topWidth();
        float bias = model.config().biasInput();
        int width = bias == 0f ? dIn : dIn + 1;
        float[][] q = new float[n][width];
        for (int from = 0; from < n; from += maxBatch) {
            int m = Math.min(maxBatch, n - from);
            float[] h = backend.toHost(model.forward(Arrays.copyOfRange(ctx, from * context, (from + m) * context), m));
            for (int i = 0; i < m; i++) {
                System.arraycopy(h, i * dIn, q[from + i], 0, dIn);
                if (bias != 0f) {
                    q[from + i][dIn] = bias;
                }
            }
        }
        return q;
    }

    /** Exact top-k ids of a batch of contexts (ids), as {@link #topK} computes them. */
    synchronized int[][] exactIds(int[] ctx, int n, int k) {
        OutputLayer out = model.output();
        try (Tensor buffer = backend.zeros(n, out.classes())) {
            return TopK.rows(backend, out, model.forward(ctx, n), k, buffer, new float[n * out.classes()],
                    new double[n]);
        }
    }

    /** Builds the approximate index of this run's factored output layer (k-means with {@code clusters} clusters). */
    synchronized ClusterIndex buildIndex(int clusters, long seed) {
        if (!(model.output() instanceof io.spherical.models.output.FactoredSphericalOutput f)) {
            throw new UserException("The approximate index is built for the factored spherical output layer; this run "
                    + "has " + model.config().output().label() + ". Fix: use exact predictions (predict without "
                    + "--approximate).");
        }
        int classes = f.classes();
        float[] w = f.weights();
        return ClusterIndex.build(backend, w, classes, w.length / classes, clusters, seed);
    }

    /** Uses the index in {@code runDir} (built by 'spherical index') for {@link #approximateTopK}. */
    public synchronized void useIndex(Path runDir) {
        Path f = runDir.resolve(INDEX);
        if (!Files.isRegularFile(f)) {
            throw new UserException("No approximate index in " + runDir + ". Fix: build it with 'spherical index --run "
                    + runDir + "'.");
        }
        float bias = model.config().biasInput();
        int width = bias == 0f ? model.config().topWidth() : model.config().topWidth() + 1;
        index = ClusterIndex.read(f, vocab.size(), width);
    }

    /** The k best words after each context by the approximate index (scores exact among its candidates). */
    public synchronized List<List<Prediction>> approximateTopK(List<String> texts, int k) {
        if (index == null) {
            throw new UserException("No approximate index loaded. Fix: call useIndex(runDir) after 'spherical index'.");
        }
        float[][] q = queries(contexts(texts), texts.size());
        float[] scores = new float[vocab.size()];
        int[] ids = new int[vocab.size()];
        List<List<Prediction>> out = new ArrayList<>();
        for (float[] qi : q) {
            List<Prediction> a = new ArrayList<>();
            for (int id : index.topK(qi, k, scores, ids)) {
                a.add(new Prediction(vocab.word(id), id, Double.NaN, Double.NaN));
            }
            out.add(a);
        }
        return out;
    }

    @Override
    public synchronized void close() {
        model.close();
        if (ownsBackend) {
            backend.close();
        }
    }
}
