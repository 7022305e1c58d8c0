package io.spherical.training;

import io.spherical.api.Backend;
import io.spherical.api.Tensor;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.IdStream;
import io.spherical.training.data.Split;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.lm.NgramLanguageModel;
import io.spherical.models.output.OutputLayer;
import java.util.List;
import java.util.Map;

/**
 * Top-k errors, the mean reciprocal rank, the loss and (for normalised models) perplexity of a model on a split:
 * every class scored in blocks of examples (one GEMM each, at most {@link #SCORE_BUDGET} floats of scores), the
 * target's rank found on the backend.
 */
final class Evaluator {
    /** Floats of scores held at once. */
    static final long SCORE_BUDGET = 32L << 20;

    private final Backend backend;

    Evaluator(Backend backend) {
        this.backend = backend;
    }

    /** The metrics over the chunks, in order, at most {@code limit} examples (0 = all). */
    Metrics evaluate(NgramLanguageModel model, List<Corpus.Chunk> chunks, Vocabulary vocab, Split split, long limit,
                     TrainingListener listener, Map<Split, List<IdStream>> cache) {
        OutputLayer out = model.output();
        int classes = out.classes();
        int m = (int) Math.max(1, Math.min(model.maxBatch(), SCORE_BUDGET / classes));
        int ctx = model.config().context();
        Metrics.Accumulator acc = new Metrics.Accumulator();
        if (chunks.size() == 1 && !cache.containsKey(split)) {
            cache.put(split, List.of(chunks.get(0).ids(vocab)));
        }
        long known = chunks.size() == 1 ? cache.get(split).get(0).size() : knownSize(chunks);
        long total = Math.min(limit > 0 ? limit : Long.MAX_VALUE, known);
        listener.evaluationStarted(split.label(), total == Long.MAX_VALUE ? -1 : total);
        int[] ranks = new int[m];
        double[] lossArr = new double[m];
        try (Tensor scores = backend.zeros(m, classes)) {
            long done = 0;
            for (int ci = 0; ci < chunks.size() && done < total; ci++) {
                IdStream s = chunks.size() == 1 ? cache.get(split).get(0) : chunks.get(ci).ids(vocab);
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

    /** The examples of the chunks when each knows its size (a prepared corpus), else {@code Long.MAX_VALUE}. */
    static long knownSize(List<Corpus.Chunk> chunks) {
        long n = 0;
        for (Corpus.Chunk c : chunks) {
            if (c.size() < 0) {
                return Long.MAX_VALUE;
            }
            n += c.size();
        }
        return n;
    }
}
