package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code train} without --lr takes the rate from D (DefaultRates); --lr and a resumed run keep theirs. */
class DefaultRateCliTest {
    /** A line corpus whose training split holds {@code distinct} different words. */
    private static Path corpus(Path dir, int distinct) throws IOException {
        Files.createDirectories(dir);
        StringBuilder train = new StringBuilder();
        for (int i = 0; i < distinct; i++) {
            train.append('w').append(i).append(i % 12 == 11 ? '\n' : ' ');
        }
        train.append('\n');
        Files.writeString(dir.resolve("train.txt"), train);
        Files.writeString(dir.resolve("valid.txt"), "w1 w2 w3 w4 w5\nw6 w7 w8 w9\n".repeat(20));
        Files.writeString(dir.resolve("test.txt"), "w1 w2 w3 w4 w5\n".repeat(20));
        return dir;
    }

    private static CliTest.Run train(Path corpus, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of("train", "--corpus", corpus.toString(), "--out", out.toString(),
                "--min-count", "1", "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50", "--epochs",
                "1", "--max-train", "200", "--max-eval", "100"));
        a.addAll(List.of(extra));
        return CliTest.run(a.toArray(String[]::new));
    }

    private static double recordedRate(Path run) throws IOException {
        return CliTest.manifest(run).path("training").path("learningRate").asDouble();
    }

    @Test
    void aLargeVocabularyGetsTheLargeRateAndASmallOneBrowns(@TempDir Path tmp) throws IOException {
        Path large = corpus(tmp.resolve("large"), 60_000);       // D = 60,002: nearer 200,000 than 13,190 (log scale)
        CliTest.Run r = train(large, tmp.resolve("run-large"));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Learning rate 0.5: the comparison protocol's choice for z-loss at D = 60002"), r.out());
        assertEquals(0.5, recordedRate(tmp.resolve("run-large")), 0);
        CliTest.Run s = train(large, tmp.resolve("run-softmax"), "--output", "softmax");
        assertEquals(0, s.code(), s.err());
        assertEquals(2.0, recordedRate(tmp.resolve("run-softmax")), 0);

        Path small = corpus(tmp.resolve("small"), 2_000);
        CliTest.Run b = train(small, tmp.resolve("run-small"));
        assertEquals(0, b.code(), b.err());
        assertEquals(16.0, recordedRate(tmp.resolve("run-small")), 0);
    }

    @Test
    void anExplicitRateAndAResumedRunKeepTheirs(@TempDir Path tmp) throws IOException {
        Path large = corpus(tmp.resolve("large"), 60_000);
        Path run = tmp.resolve("run");
        CliTest.Run r = train(large, run, "--lr", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(!r.out().contains("Learning rate 0.5"), r.out());
        assertEquals(3.0, recordedRate(run), 0);
        CliTest.Run again = CliTest.run("train", "--out", run.toString(), "--resume", "--epochs", "2");
        assertEquals(0, again.code(), again.err());
        assertEquals(3.0, recordedRate(run), 0, "a resumed run keeps its recorded rate");
    }
}
