package io.spherical.training.data;

import io.spherical.models.lm.Vocabulary;

import java.util.List;

/**
 * A chunk as one stream of word ids: every sentence followed by {@code </s>}. Example t predicts {@code ids[t]} from
 * the n previous ids; positions before the start read as {@code </s>} (so the first word of a chunk is predicted
 * from a run of sentence boundaries, like the first word of any sentence after the previous one ends).
 */
public final class IdStream {
    private final int[] ids;

    private IdStream(int[] ids) {
        this.ids = ids;
    }

    /** Maps sentences to ids with the vocabulary. */
    public static IdStream of(List<String[]> sentences, Vocabulary vocab) {
        long n = 0;
        for (String[] s : sentences) {
            n += s.length + 1;
        }
        int[] ids = new int[Math.toIntExact(n)];
        int p = 0;
        for (String[] s : sentences) {
            for (String w : s) {
                ids[p++] = vocab.id(w);
            }
            ids[p++] = 0;
        }
        return new IdStream(ids);
    }

    /** Number of examples (= tokens including the sentence ends). */
    public int size() {
        return ids.length;
    }

    /** The target of example t. */
    public int target(int t) {
        return ids[t];
    }

    /** Writes the n context ids of example t (oldest first) into {@code out[off .. off+n)}. */
    public void context(int t, int n, int[] out, int off) {
        for (int k = 0; k < n; k++) {
            int pos = t - n + k;
            out[off + k] = pos >= 0 ? ids[pos] : 0;
        }
    }
}
