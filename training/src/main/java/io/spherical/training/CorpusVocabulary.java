package io.spherical.training;

import io.spherical.api.UserException;
import io.spherical.models.lm.Vocabulary;
import io.spherical.training.data.Corpus;
import io.spherical.training.data.Split;
import io.spherical.training.data.prepared.PreparedCorpus;
import java.util.HashMap;
import java.util.Map;

/** The vocabulary of a corpus: its training split's words, counted in one streaming pass. */
public final class CorpusVocabulary {
    private CorpusVocabulary() {
    }

    /** Counts words over the training chunks (streaming) and keeps those seen at least minCount times. */
    public static Vocabulary of(Corpus corpus, int minCount) {
        return of(corpus, minCount, 0);
    }

    /**
     * The vocabulary of the training split: the words seen at least {@code minCount} times, at most the
     * {@code vocabSize} most frequent of them (0: no limit; ties alphabetical), besides {@code </s>} and
     * {@code <unk>}. A prepared corpus gives it from its counts without reading the text.
     */
    public static Vocabulary of(Corpus corpus, int minCount, int vocabSize) {
        if (corpus instanceof PreparedCorpus p) {
            return p.vocabulary(minCount, vocabSize);
        }
        return count(corpus, minCount).limited(vocabSize);
    }

    private static Vocabulary count(Corpus corpus, int minCount) {
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
}
