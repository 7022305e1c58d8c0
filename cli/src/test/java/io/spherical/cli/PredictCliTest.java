package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.spherical.training.SyntheticCorpus;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** spherical predict and eval --file on a small trained run: arguments and standard input, the formats, bad input. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class PredictCliTest {
    private Path run;
    private Path corpus;

    @BeforeAll
    void train(@TempDir Path tmp) throws IOException {
        corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 60, 600, 4);
        run = tmp.resolve("run");
        CliTest.Run r = CliTest.run("train", "--corpus", corpus.toString(), "--out", run.toString(), "--epochs", "1",
                "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50", "--min-count", "1",
                "--output", "softmax");
        assertEquals(0, r.code(), r.err());
    }

    private static CliTest.Run withStdin(String input, String... args) {
        InputStream old = System.in;
        System.setIn(new ByteArrayInputStream(input.getBytes(StandardCharsets.UTF_8)));
        try {
            return CliTest.run(args);
        } finally {
            System.setIn(old);
        }
    }

    @Test
    void argumentsAndStandardInputGiveTheSameAnswersInEveryFormat() throws IOException {
        CliTest.Run args = CliTest.run("predict", "--run", run.toString(), "--k", "3", "--format", "tsv", "w1 w2", "w3");
        assertEquals(0, args.code(), args.err());
        List<String> rows = args.out().lines().toList();
        assertEquals("context\trank\tword\tscore\tprobability", rows.get(0));
        assertEquals(1 + 2 * 3, rows.size(), args.out());
        assertTrue(rows.get(1).startsWith("0\t1\t") && rows.get(4).startsWith("1\t1\t"), args.out());
        CliTest.Run stdin = withStdin("w1 w2\nw3\n", "predict", "--run", run.toString(), "--k", "3", "--format", "tsv");
        assertEquals(0, stdin.code(), stdin.err());
        assertEquals(args.out(), stdin.out(), "standard input answers as the arguments do");
        CliTest.Run json = CliTest.run("predict", "--run", run.toString(), "--k", "2", "--format", "json", "w1 w2");
        JsonNode o = new ObjectMapper().readTree(json.out().lines().findFirst().orElseThrow());
        assertEquals("w1 w2", o.path("context").asText());
        assertEquals(2, o.path("predictions").size());
        double p = o.path("predictions").get(0).path("probability").asDouble();
        assertTrue(p > 0 && p <= 1, "log-softmax gives probabilities: " + o);
        assertEquals(rows.get(1).split("\t")[2], o.path("predictions").get(0).path("word").asText());
        CliTest.Run text = CliTest.run("predict", "--run", run.toString(), "--k", "2", "w1 w2 w3 w4");
        assertTrue(text.out().startsWith("w1 w2 w3 w4\n") && text.err().contains("last 2 words"), text.err());
    }

    @Test
    void anApproximateIndexIsBuiltMeasuredAndUsed(@TempDir Path tmp) {
        Path z = tmp.resolve("z");
        CliTest.Run t = CliTest.run("train", "--corpus", corpus.toString(), "--out", z.toString(), "--epochs", "1",
                "--context", "2", "--embedding", "8", "--hidden", "16", "--batch", "50", "--min-count", "1");
        assertEquals(0, t.code(), t.err());
        CliTest.Run i = CliTest.run("index", "--run", z.toString(), "--examples", "40", "--clusters", "8");
        assertEquals(0, i.code(), i.err());
        assertTrue(i.out().contains("| probes | recall@10 |") && Files.exists(z.resolve("index.bin")), i.out());
        CliTest.Run p = CliTest.run("predict", "--run", z.toString(), "--approximate", "--k", "4", "--format", "tsv",
                "w1 w2");
        assertEquals(0, p.code(), p.err());
        assertEquals(1 + 4, p.out().lines().count(), p.out());
        CliTest.Run none = CliTest.run("index", "--run", run.toString());
        assertEquals(2, none.code(), "the index is for the factored layer: " + none.err());
        CliTest.Run missing = CliTest.run("predict", "--run", run.toString(), "--approximate", "w1");
        assertEquals(2, missing.code(), missing.err());
        assertTrue(missing.err().contains("spherical index"), missing.err());
    }

    @Test
    void evalOnAnyTextFile(@TempDir Path tmp) throws IOException {
        Path f = tmp.resolve("mine.txt");
        Files.write(f, Files.readAllLines(corpus.resolve("test.txt")).subList(0, 20));
        CliTest.Run r = CliTest.run("eval", "--run", run.toString(), "--file", f.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("top-10 error") && r.out().contains("perplexity"), r.out());
    }

    @Test
    void badQuestionsAreOneLine(@TempDir Path empty) {
        for (String[] args : List.of(new String[] {"predict", "--run", empty.toString(), "w1"},
                new String[] {"predict", "--run", run.toString(), "--k", "0", "w1"},
                new String[] {"predict", "--run", run.toString(), "--k", "100000", "w1"},
                new String[] {"predict", "--run", run.toString(), "--format", "xml", "w1"},
                new String[] {"predict", "--run", run.toString(), "  "})) {
            CliTest.Run r = CliTest.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ": " + r.err());
            List<String> lines = r.err().lines().filter(l -> !l.contains("[INFO]")).toList();
            assertEquals(1, lines.size(), r.err());
            assertTrue(lines.get(0).startsWith("spherical: ") && lines.get(0).contains("Fix:"), lines.get(0));
        }
    }
}
