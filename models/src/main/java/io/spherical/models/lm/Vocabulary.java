package io.spherical.models.lm;

import io.spherical.api.UserException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Word ids. Id 0 is {@value #EOS} (end of sentence, also the padding before the first word of a corpus),
 * id 1 is {@value #UNK} (every word seen fewer than {@code minCount} times in the training split), then the kept
 * words by decreasing training frequency (ties alphabetical). Ids are therefore frequency-sorted, which the
 * hierarchical softmax relies on for its classes.
 */
public final class Vocabulary {
    /** The sentence boundary token. */
    public static final String EOS = "</s>";
    /** The unknown-word token. */
    public static final String UNK = "<unk>";

    private final List<String> words;
    private final long[] counts;
    private final Map<String, Integer> index;

    /** A vocabulary from its words in id order and their training counts. */
    public Vocabulary(List<String> words, long[] counts) {
        if (words.size() < 2 || !EOS.equals(words.get(0)) || !UNK.equals(words.get(1)) || counts.length != words.size()) {
            throw new UserException("Malformed vocabulary: it must start with " + EOS + " and " + UNK
                    + " and have one count per word. Fix: rebuild it from the corpus.");
        }
        this.words = List.copyOf(words);
        this.counts = counts.clone();
        this.index = new HashMap<>(words.size() * 2);
        for (int i = 0; i < words.size(); i++) {
            if (index.put(words.get(i), i) != null) {
                throw new UserException("Malformed vocabulary: the word '" + words.get(i) + "' appears twice.");
            }
        }
    }

    /** Builds from training counts: words with at least {@code minCount} occurrences are kept. */
    public static Vocabulary build(Map<String, Long> trainCounts, long eosCount, int minCount) {
        List<Map.Entry<String, Long>> kept = new ArrayList<>();
        long unk = 0;
        for (Map.Entry<String, Long> e : trainCounts.entrySet()) {
            if (e.getKey().equals(EOS) || e.getKey().equals(UNK)) {
                unk += e.getKey().equals(UNK) ? e.getValue() : 0;
                continue;
            }
            if (e.getValue() >= minCount) {
                kept.add(e);
            } else {
                unk += e.getValue();
            }
        }
        kept.sort((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey())
                : Long.compare(b.getValue(), a.getValue()));
        List<String> words = new ArrayList<>(kept.size() + 2);
        long[] counts = new long[kept.size() + 2];
        words.add(EOS);
        counts[0] = eosCount;
        words.add(UNK);
        counts[1] = unk;
        for (int i = 0; i < kept.size(); i++) {
            words.add(kept.get(i).getKey());
            counts[i + 2] = kept.get(i).getValue();
        }
        return new Vocabulary(words, counts);
    }

    /**
     * The {@code n} most frequent words (ids 2 .. n + 1) besides {@code </s>} and {@code <unk>}, the others counted as
     * {@code <unk>}; this vocabulary itself when {@code n} is 0 or it has no more words.
     */
    public Vocabulary limited(int n) {
        if (n <= 0 || words.size() <= n + 2) {
            return this;
        }
        long[] c = java.util.Arrays.copyOf(counts, n + 2);
        for (int i = n + 2; i < counts.length; i++) {
            c[1] += counts[i];
        }
        return new Vocabulary(words.subList(0, n + 2), c);
    }

    /** The id of a word ({@code <unk>}'s id when unknown). */
    public int id(String word) {
        Integer i = index.get(word);
        return i == null ? 1 : i;
    }

    /** The word of an id. */
    public String word(int id) {
        return words.get(id);
    }

    /** Number of ids. */
    public int size() {
        return words.size();
    }

    /** Words in id order. */
    public List<String> words() {
        return words;
    }

    /** Training count of every id. */
    public long[] counts() {
        return counts.clone();
    }
}
