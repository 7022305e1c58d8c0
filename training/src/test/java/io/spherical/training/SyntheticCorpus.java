package io.spherical.training;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/**
 * A corpus made by the tests: sentences from a first-order Markov chain over {@code w0 .. w(V-1)} in which every word
 * has three successors (probabilities 0.6, 0.3, 0.1), written as train.txt, valid.txt and test.txt. A model that
 * learns the chain gets a low top-10 error; an untrained one is near 1 - 10/V.
 */
public final class SyntheticCorpus {
    private SyntheticCorpus() {
    }

    /** Writes the three files into {@code dir} and returns it. */
    public static Path write(Path dir, int vocab, int trainSentences, long seed) throws IOException {
        Random chainRnd = new Random(seed);
        int[][] next = new int[vocab][3];
        for (int w = 0; w < vocab; w++) {
            for (int k = 0; k < 3; k++) {
                next[w][k] = chainRnd.nextInt(vocab);
            }
        }
        Files.createDirectories(dir);
        Random r = new Random(seed + 1);
        Files.writeString(dir.resolve("train.txt"), text(next, r, trainSentences));
        Files.writeString(dir.resolve("valid.txt"), text(next, r, Math.max(20, trainSentences / 10)));
        Files.writeString(dir.resolve("test.txt"), text(next, r, Math.max(20, trainSentences / 10)));
        return dir;
    }

    private static String text(int[][] next, Random r, int sentences) {
        StringBuilder sb = new StringBuilder();
        for (int s = 0; s < sentences; s++) {
            int w = r.nextInt(next.length);
            int len = 5 + r.nextInt(10);
            for (int i = 0; i < len; i++) {
                sb.append(i == 0 ? "" : " ").append('w').append(w);
                double u = r.nextDouble();
                w = next[w][u < 0.6 ? 0 : u < 0.9 ? 1 : 2];
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
