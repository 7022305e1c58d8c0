package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.data.raw.RawCorpusFixture;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Raw books through the command: prepare, train with a vocabulary by size, evaluate from the recorded spec. */
class RawCorpusCliTest {
    @Test
    void prepareTrainAndEvaluateABookCorpus(@TempDir Path tmp) throws IOException {
        Path books = tmp.resolve("books");
        for (int i = 0; i < 40; i++) {
            Path f = books.resolve("Author " + i % 5).resolve("Book " + i + ".txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, RawCorpusFixture.book("b" + i, RawCorpusFixture.body(new Random(i), 60),
                    "*** START OF THIS PROJECT GUTENBERG EBOOK B ***", "*** END OF THIS PROJECT GUTENBERG EBOOK B ***"));
        }
        String cache = tmp.resolve("cache").toString();
        CliTest.Run p = CliTest.run("prepare", "--corpus", "books:" + books, "--vocab-size", "30", "--min-count", "1",
                "--cache", cache, "--split", "0.6,0.2,0.2");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("train") && p.out().contains("valid") && p.out().contains("test")
                && p.out().contains("kept 30 words"), p.out());
        Path run = tmp.resolve("run");
        CliTest.Run t = CliTest.run("train", "--corpus", "books:" + books, "--vocab-size", "30", "--min-count", "1",
                "--epochs", "1", "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50", "--cache", cache,
                "--out", run.toString(), "--split", "0.6,0.2,0.2");
        assertEquals(0, t.code(), t.err());
        String log = t.out() + t.err();
        assertTrue(log.contains("Vocabulary: 32 words"), log);
        assertTrue(!log.contains("Preparing"), "prepared once, by 'prepare': " + log);
        com.fasterxml.jackson.databind.JsonNode m = CliTest.manifest(run);
        assertEquals(32, m.path("vocabularySize").asInt());
        assertEquals(30, m.path("training").path("vocabSize").asInt());
        assertTrue(m.path("corpusSpec").asText().startsWith("books:"), m.path("corpusSpec").asText());
        CliTest.Run e = CliTest.run("eval", "--run", run.toString(), "--split", "valid", "--cache", cache);
        assertEquals(0, e.code(), e.err());
    }
}
