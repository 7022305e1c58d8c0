package io.spherical.training.data;

import io.spherical.models.lm.Vocabulary;
import java.nio.IntBuffer;
import java.util.List;

/**
 * A chunk as one stream of word ids: every sentence followed by {@code </s>}. Example t predicts {@code target(t)}
 * from the n previous ids; positions before the start of the underlying ids read as {@code </s>} (so the first word
 * of a corpus is predicted from a run of sentence boundaries, like the first word of any sentence after the previous
 * one ends). The ids are a view of a buffer (on the heap, or a memory-mapped prepared corpus): a view that starts
 * inside the buffer reads its first contexts from the ids before it; ids at or past {@code cap} read as
 * {@code <unk>} (a run's vocabulary is a prefix of a prepared corpus's).
 */
public final class IdStream {
    private final IntBuffer ids;
    private final int start;
    private final int size;
    private final int cap;

    private IdStream(IntBuffer ids, int start, int size, int cap) {
        this.ids = ids;
        this.start = start;
        this.size = size;
        this.cap = cap;
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
        return new IdStream(IntBuffer.wrap(ids), 0, ids.length, Integer.MAX_VALUE);
    }

    /** The view {@code ids[start .. start + size)}, ids at or past {@code cap} read as {@code <unk>} (1). */
    public static IdStream of(IntBuffer ids, int start, int size, int cap) {
        return new IdStream(ids, start, size, cap);
    }

    private int at(int pos) {
        int id = ids.get(pos);
        return id < cap ? id : 1;
    }

    /** Number of examples (= tokens including the sentence ends). */
    public int size() {
        return size;
    }

    /** The target of example t. */
    public int target(int t) {
        return at(start + t);
    }

    /** Writes the n context ids of example t (oldest first) into {@code out[off .. off+n)}. */
    public void context(int t, int n, int[] out, int off) {
        for (int k = 0; k < n; k++) {
            int pos = start + t - n + k;
            out[off + k] = pos >= 0 ? at(pos) : 0;
        }
    }

    /** A uniformly random permutation of 0..n-1 (Fisher-Yates) drawn from {@code r}: the order of an epoch. */
    public static int[] permutation(int n, java.util.Random r) {
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
}
