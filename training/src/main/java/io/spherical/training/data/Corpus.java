package io.spherical.training.data;

import java.util.List;

/**
 * A tokenised corpus: each split is a list of chunks read one at a time (so a corpus larger than memory, such as
 * One Billion Word, is streamed), each chunk a list of sentences of tokens.
 */
public interface Corpus {

    /** A short description, e.g. {@code brown (NLTK tagged format, /path)}. */
    String describe();

    /**
     * The {@code --corpus} value that opens this corpus again ({@code brown}, an absolute directory, or
     * {@code 1bw:DIR}); recorded in checkpoints and run.json so that eval and resume need not be told.
     */
    String spec();

    /** The chunks of a split, in their natural order. */
    List<Chunk> chunks(Split split);

    /** A unit of reading: one file or one part of a file. */
    interface Chunk {
        /** Where it comes from (for messages). */
        String name();

        /** Its sentences, each an array of tokens (without the end-of-sentence token). */
        List<String[]> sentences();

        /** Its number of examples (ids, sentence ends included) when known without reading it, else -1. */
        default long size() {
            return -1;
        }

        /** Its ids in {@code vocab} (a prepared corpus serves them without reading text). */
        default IdStream ids(io.spherical.models.lm.Vocabulary vocab) {
            return IdStream.of(sentences(), vocab);
        }
    }
}
