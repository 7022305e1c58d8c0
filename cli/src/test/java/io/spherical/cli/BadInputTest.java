package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.SyntheticCorpus;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Bad corpora and damaged checkpoints: each gives one line naming the problem and exit code 2, nothing else. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
    private Path root;
    private Path goodRun;

    @BeforeAll
    void trainOnce(@TempDir Path tmp) throws IOException {
        root = tmp;
        Path corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 60, 300, 1);
        goodRun = tmp.resolve("good");
        int code = Main.execute(new String[] {"train", "--corpus", corpus.toString(), "--out", goodRun.toString(),
            "--epochs", "1", "--context", "2", "--embedding", "4", "--hidden", "8", "--batch", "50", "--min-count", "1"},
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        assertEquals(0, code);
    }

    private static String fails(String expected, String... args) {
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(new StringWriter()), new PrintWriter(err, true));
        String e = err.toString().strip();
        String last = e.substring(e.lastIndexOf('\n') + 1);
        assertEquals(2, code, e);
        assertEquals(1, e.split("\n").length, "exactly one line on stderr, got:\n" + e);
        assertTrue(last.startsWith("spherical: ") && last.contains(expected), "expected '" + expected + "' in: " + last);
        assertTrue(!e.contains("Exception") && !e.contains("\tat "), "no stack trace: " + e);
        assertTrue(last.contains("Fix:") || last.contains("see 'spherical"), "the line names the fix: " + last);
        return last;
    }

    private Path corpusWithTrain(String name, byte[] train) throws IOException {
        Path dir = root.resolve(name);
        Files.createDirectories(dir);
        Files.write(dir.resolve("train.txt"), train);
        Files.writeString(dir.resolve("valid.txt"), "a b c\n");
        Files.writeString(dir.resolve("test.txt"), "a b c\n");
        return dir;
    }

    private String[] train(Path corpus, String out) {
        return new String[] {"train", "--corpus", corpus.toString(), "--out", root.resolve(out).toString(), "--epochs", "1"};
    }

    @Test
    void cutoffsThatCannotSplitTheVocabulary() throws IOException {
        Path corpus = corpusWithTrain("cutoffs", "a b c d e f g\n".repeat(30).getBytes(StandardCharsets.UTF_8));
        fails("--cutoffs must be increasing", "train", "--corpus", corpus.toString(), "--out",
                root.resolve("o-cut1").toString(), "--output", "adaptive", "--cutoffs", "5,3", "--min-count", "1");
        String line = fails("--cutoffs must be increasing", "train", "--corpus", corpus.toString(), "--out",
                root.resolve("o-cut2").toString(), "--output", "adaptive", "--cutoffs", "4,500", "--min-count", "1");
        assertTrue(line.contains("[1, 9)"), "names the vocabulary size: " + line);
        fails("--samples must be >= 1", "train", "--corpus", corpus.toString(), "--out",
                root.resolve("o-samples").toString(), "--output", "sampled", "--samples", "-4");
    }

    @Test
    void emptyCorpus() throws IOException {
        fails("is empty", train(corpusWithTrain("empty", new byte[0]), "o1"));
    }

    @Test
    void binaryFileAsCorpus() throws IOException {
        fails("contains NUL bytes", train(corpusWithTrain("binary", new byte[] {0x7f, 'E', 'L', 'F', 0, 0, 1, 2}), "o2"));
    }

    @Test
    void invalidUtf8() throws IOException {
        fails("is not valid UTF-8", train(corpusWithTrain("latin1", "caf\u00e9 au lait\n".getBytes(StandardCharsets.ISO_8859_1)), "o3"));
    }

    @Test
    void aHundredMegabyteLine() throws IOException {
        Path dir = root.resolve("longline");
        Files.createDirectories(dir);
        try (OutputStream out = Files.newOutputStream(dir.resolve("train.txt"))) {
            byte[] chunk = "word ".repeat(200_000).getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < 100; i++) {
                out.write(chunk);
            }
        }
        Files.writeString(dir.resolve("valid.txt"), "a\n");
        Files.writeString(dir.resolve("test.txt"), "a\n");
        fails("has a line longer than", train(dir, "o4"));
    }

    @Test
    void unwritableOutputDirectory() throws IOException {
        Path corpus = corpusWithTrain("ok", "a b c d\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        fails("not writable", "train", "--corpus", corpus.toString(), "--out", "/proc/spherical-cannot-write", "--epochs", "1",
                "--min-count", "1");
    }

    private Path copyRun(String name) throws IOException {
        Path dir = root.resolve(name);
        Files.createDirectories(dir);
        for (String f : new String[] {"checkpoint.zip", "run.json"}) {
            Files.copy(goodRun.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    @Test
    void truncatedCheckpoint() throws IOException {
        Path run = copyRun("truncated");
        byte[] all = Files.readAllBytes(run.resolve("checkpoint.zip"));
        Files.write(run.resolve("checkpoint.zip"), java.util.Arrays.copyOf(all, all.length / 2));
        fails("truncated or not a zip", "eval", "--run", run.toString());
    }

    /** Rewrites the checkpoint with one entry replaced. */
    private static void replaceEntry(Path zip, String name, byte[] data) throws IOException {
        Path tmp = zip.resolveSibling("rewrite.zip");
        try (ZipFile in = new ZipFile(zip.toFile()); ZipOutputStream out = new ZipOutputStream(Files.newOutputStream(tmp))) {
            for (Enumeration<? extends ZipEntry> en = in.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                out.putNextEntry(new ZipEntry(e.getName()));
                out.write(e.getName().equals(name) ? data : in.getInputStream(e).readAllBytes());
                out.closeEntry();
            }
        }
        Files.move(tmp, zip, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    private static byte[] entry(Path zip, String name) throws IOException {
        try (ZipFile z = new ZipFile(zip.toFile())) {
            return z.getInputStream(z.getEntry(name)).readAllBytes();
        }
    }

    @Test
    void checkpointWithAWrongChecksum() throws IOException {
        Path run = copyRun("checksum");
        Path zip = run.resolve("checkpoint.zip");
        byte[] arr = entry(zip, "arrays/embedding.npy");
        arr[arr.length - 1] ^= 0x40;
        replaceEntry(zip, "arrays/embedding.npy", arr);
        fails("checksum of arrays/embedding.npy does not match", "eval", "--run", run.toString());
    }

    @Test
    void checkpointDeclaringAbsurdArraySizesIsRejectedBeforeAllocating() throws IOException {
        Path run = copyRun("absurd");
        Path zip = run.resolve("checkpoint.zip");
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (2000000000, 2000000000), }";
        byte[] npy = new byte[10 + 118];
        npy[0] = (byte) 0x93;
        System.arraycopy("NUMPY".getBytes(StandardCharsets.US_ASCII), 0, npy, 1, 5);
        npy[6] = 1;
        npy[8] = 118;
        byte[] h = (header + " ".repeat(118 - header.length() - 1) + "\n").getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(h, 0, npy, 10, h.length);
        replaceEntry(zip, "arrays/embedding.npy", npy);
        fails("has shape 2000000000x2000000000", "eval", "--run", run.toString());
    }

    @Test
    void checkpointThatIsNotOneOfOurs() throws IOException {
        Path run = copyRun("foreign");
        replaceEntry(run.resolve("checkpoint.zip"), "manifest.json", "{\"format\": \"something-else\"}".getBytes(StandardCharsets.UTF_8));
        fails("is not a Spherical checkpoint", "eval", "--run", run.toString());
    }

    @Test
    void divergingTrainingStopsAtOnceAndNamesTheIntactCheckpoint() throws IOException {
        Path corpus = SyntheticCorpus.write(root.resolve("diverge-corpus"), 60, 300, 2);
        Path out = root.resolve("diverge");
        String line = fails("diverged", "train", "--corpus", corpus.toString(), "--out", out.toString(), "--epochs", "1",
                "--output", "softmax", "--lr", "1e30", "--context", "2", "--embedding", "4", "--hidden", "8",
                "--min-count", "1");
        assertTrue(line.contains("step ") && line.contains("last good checkpoint is " + out.resolve("checkpoint.zip")), line);
        StringWriter o = new StringWriter();
        int code = Main.execute(new String[] {"eval", "--run", out.toString(), "--corpus", corpus.toString(), "--split",
            "valid"}, new PrintWriter(o), new PrintWriter(new StringWriter()));
        assertEquals(0, code, "the last good checkpoint is intact and usable");
    }

    @Test
    void aFactoredRunWhoseLossBecomesNonFiniteStopsInsteadOfSucceeding() throws IOException {
        // the step control keeps every factored step finite, so the training loss stays finite while the model is
        // ruined: the non-finite validation loss must stop the run before its checkpoint is replaced
        Path corpus = SyntheticCorpus.write(root.resolve("diverge-z-corpus"), 60, 300, 2);
        Path out = root.resolve("diverge-z");
        String line = fails("diverged", "train", "--corpus", corpus.toString(), "--out", out.toString(), "--epochs", "2",
                "--lr", "1e30", "--context", "2", "--embedding", "4", "--hidden", "8", "--min-count", "1");
        assertTrue(line.contains("step ") && line.contains("learning rate 1.0E30")
                && line.contains(out.resolve("checkpoint.zip").toString()), line);
        StringWriter o = new StringWriter();
        int code = Main.execute(new String[] {"eval", "--run", out.toString(), "--corpus", corpus.toString(), "--split",
            "valid"}, new PrintWriter(o), new PrintWriter(new StringWriter()));
        assertEquals(0, code, "the last good checkpoint is intact and usable");
        assertTrue(!o.toString().contains("NaN"), "the kept checkpoint is the good one: " + o);
    }

    @Test
    void benchSizesAreCheckedBeforeAnythingIsAllocated() {
        fails("--vocab 2000000000", "bench", "layer", "--layers", "factored-z", "--vocab", "2000000000");
        fails("--dim must be >= 2", "bench", "layer", "--layers", "factored-z", "--vocab", "1000", "--dim", "0");
        fails("--vocab sizes must be >= 2", "bench", "layer", "--layers", "softmax", "--vocab", "1");
        fails("--vocab sizes must be >= 2", "bench", "network", "--layers", "softmax", "--vocab", "0");
    }

    @Test
    void aMasterPortOutsideTheRangeIsRefusedInsteadOfWrapped() {
        for (String port : new String[] {"70000", "99999", "0", "-1"}) {
            fails("must be between 1 and 65535, got " + port, "train", "--corpus", root.resolve("corpus").toString(),
                    "--out", root.resolve("port-" + port).toString(), "--rank", "0", "--world-size", "2", "--master",
                    "127.0.0.1:" + port, "--min-count", "1");
        }
    }

    /**
     * A master nobody can reach ends in one line naming the address and the fix: an unknown host at once (resolved
     * before the native store is asked), nobody listening after --group-timeout, without the native trace.
     */
    @Test
    void aMasterThatCannotBeReachedIsOneLine() throws IOException {
        String token = Files.writeString(root.resolve("token"), "a token\n").toString();
        String unknown = fails("Cannot resolve the master host 'no.such.host.invalid'", "train", "--corpus",
                root.resolve("corpus").toString(), "--out", root.resolve("master-unknown").toString(), "--rank", "1",
                "--world-size", "2", "--master", "no.such.host.invalid:29500", "--min-count", "1",
                "--group-token-file", token);
        assertTrue(unknown.contains("--master"), unknown);
        String nobody = fails("could not join the group at 127.0.0.1:1 within 3 s", "train", "--corpus",
                root.resolve("corpus").toString(), "--out", root.resolve("master-nobody").toString(), "--rank", "1",
                "--world-size", "2", "--master", "127.0.0.1:1", "--group-timeout", "3", "--min-count", "1",
                "--group-token-file", token);
        assertTrue(!nobody.contains("frame #") && !nobody.contains("raised from"), nobody);
    }

    /**
     * A worker of a group of several without a group token, with an empty token file, with port 0 on a rank other
     * than 0, or with a --bind that is no address: one line each, before any peer is sought.
     */
    @Test
    void aGroupWorkerWithoutAUsableTokenPortOrBindAddressIsOneLine() throws IOException {
        String[] worker = {"train", "--corpus", root.resolve("corpus").toString(), "--world-size", "2", "--min-count",
            "1", "--group-timeout", "3"};
        fails("Training on 2 workers needs a group token", concat(worker, "--out", root.resolve("no-token").toString(),
                "--rank", "1", "--master", "127.0.0.1:29500"));
        Path empty = Files.writeString(root.resolve("empty-token"), "\n");
        fails("The group token file " + empty + " is empty", concat(worker, "--out", root.resolve("empty-token-run")
                .toString(), "--rank", "1", "--master", "127.0.0.1:29500", "--group-token-file", empty.toString()));
        Path token = Files.writeString(root.resolve("token-2"), "a token\n");
        fails("was given port 0 for rank 0's address", concat(worker, "--out", root.resolve("port-zero").toString(),
                "--rank", "1", "--master", "127.0.0.1:0", "--group-token-file", token.toString()));
        fails("Cannot listen on --bind 'no.such.host.invalid'", concat(worker, "--out", root.resolve("bind").toString(),
                "--rank", "0", "--master", "127.0.0.1:29500", "--group-token-file", token.toString(), "--bind",
                "no.such.host.invalid"));
    }

    private static String[] concat(String[] a, String... b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /**
     * {@code train --workers N} refuses, before any worker starts, a group whose estimated memory does not fit (500
     * processes, each with its own copy of the model, its gathered global minibatch and its runtime), and a count out
     * of range.
     */
    @Test
    void moreLocalWorkersThanTheMachineHoldsAreRefusedBeforeAnyStarts() {
        Path out = root.resolve("workers-500");
        String line = fails("500 local workers", "train", "--corpus", root.resolve("corpus").toString(), "--out",
                out.toString(), "--workers", "500", "--min-count", "1");
        assertTrue(line.matches(".*need about [0-9.]+ GiB of memory .* but [0-9.]+ [GM]iB is available.*"), line);
        assertTrue(!Files.exists(out), "no worker started: the run directory " + out + " was created");
        for (String n : new String[] {"0", "5000"}) {
            Path none = root.resolve("workers" + n);
            fails("--workers must be between 1 and 1024", "train", "--corpus", root.resolve("corpus").toString(),
                    "--out", none.toString(), "--workers", n, "--min-count", "1");
            assertTrue(!Files.exists(none), none.toString());
        }
    }

    @Test
    void experimentKindNamesAreChecked() {
        fails("Unknown kind(s) [nonsense] in --seeded", "experiment", "--out", root.resolve("exp-bad").toString(),
                "--seeded", "nonsense");
        fails("Unknown kind(s) [tree] in --kinds", "experiment", "--out", root.resolve("exp-bad2").toString(),
                "--kinds", "z-loss,tree");
        fails("--budget expects a duration such as 30m", "experiment", "--out", root.resolve("exp-bad4").toString(),
                "--budget", "soon");
        assertEquals(1800.0, ExperimentCommand.seconds("30m", "--budget"), 0.0);
        assertEquals(90.0, ExperimentCommand.seconds("90s", "--budget"), 0.0);
        assertEquals(7200.0, ExperimentCommand.seconds("2h", "--budget"), 0.0);
        assertEquals(12.5, ExperimentCommand.seconds("12.5", "--budget"), 0.0);
        fails("--tune-intervals 3", "experiment", "--out", root.resolve("exp-bad3").toString(), "--corpus",
                root.resolve("corpus").toString(), "--kinds", "z-loss", "--schedules", "plateau,constant",
                "--tune-intervals", "2", "--min-count", "1");
    }

    @Test
    void aLayerTooLargeToIndexIsRefusedBeforeAllocating() throws IOException {
        Path corpus = corpusWithTrain("sizes1", "a b c d\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        String line = fails("single array", "train", "--corpus", corpus.toString(), "--out",
                root.resolve("o-hidden").toString(), "--hidden", "100000000", "--min-count", "1");
        assertTrue(line.contains("2^31") && line.contains("--hidden"), line);
    }

    @Test
    void aConfigurationLargerThanMemoryIsRefusedWithTheEstimate() throws IOException {
        Path corpus = corpusWithTrain("sizes2", "a b c d\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        String line = fails("of memory", "train", "--corpus", corpus.toString(), "--out",
                root.resolve("o-memory").toString(), "--hidden", "45000,45000,45000", "--min-count", "1");
        assertTrue(line.matches(".*needs about [0-9.]+ GiB .* but [0-9.]+ [GM]iB is available.*"), line);
    }

    @Test
    void aSizeThatOverflowsAnIntegerIsAUserError() throws IOException {
        Path corpus = corpusWithTrain("sizes3", "a b c d\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        fails("--embedding", "train", "--corpus", corpus.toString(), "--out", root.resolve("o-overflow").toString(),
                "--embedding", "3000000000");
        fails("single array", "train", "--corpus", corpus.toString(), "--out", root.resolve("o-overflow2").toString(),
                "--context", "100000", "--embedding", "100000", "--min-count", "1");
    }

    @org.junit.jupiter.params.ParameterizedTest(name = "{0}")
    @org.junit.jupiter.params.provider.CsvSource(delimiter = '|', value = {
        "--output softmax|--output=softmax|--output softmax (checkpoint: factored)",
        "--loss squared-error|--loss=squared-error|--loss squared-error (checkpoint: z-loss)",
        "--b 3|--b=3|loss parameter b 3.0 (checkpoint: 0.0)",
        "--hidden 16|--hidden=16|--hidden [16] (checkpoint: [8])",
        "--context 3|--context=3|--context 3 (checkpoint: 2)",
        "--seed 9|--seed=9|--seed 9 (checkpoint: 1)",
        "--samples 64|--samples=64|--samples 64 (checkpoint: 0)",
        "--cutoffs 5,10|--cutoffs=5,10|--cutoffs [5, 10] (checkpoint: [])",
        "--corpus elsewhere|--corpus=/tmp/elsewhere|--corpus /tmp/elsewhere",
    })
    void resumeWithAContradictingOptionIsRefused(String what, String option, String expected) throws IOException {
        Path run = copyRun("resume-" + what.replaceAll("[^a-z0-9]", ""));
        int eq = option.indexOf('=');
        String line = fails("contradicts", "train", "--out", run.toString(), "--resume", option.substring(0, eq),
                option.substring(eq + 1));
        assertTrue(line.contains(expected) && line.contains("--epochs, --lr"), line);
    }

    @Test
    void aRealProcessPrintsExactlyOneLineOnStderr() throws Exception {
        // in a real process the backend's log line is printed too: it must go to stdout, not stderr
        Path corpus = corpusWithTrain("process", "a b c d\n".repeat(50).getBytes(StandardCharsets.UTF_8));
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                System.getProperty("java.class.path"), Main.class.getName(), "train", "--corpus", corpus.toString(),
                "--out", root.resolve("o-process").toString(), "--hidden", "100000000", "--min-count", "1"));
        Process p = new ProcessBuilder(cmd).redirectOutput(root.resolve("process.out").toFile())
                .redirectError(root.resolve("process.err").toFile()).start();
        assertTrue(p.waitFor(120, java.util.concurrent.TimeUnit.SECONDS), "the process ended");
        String err = Files.readString(root.resolve("process.err")).strip();
        assertEquals(2, p.exitValue(), err);
        assertEquals(1, err.split("\n").length, "exactly one line on stderr, got:\n" + err);
        assertTrue(err.startsWith("spherical: This configuration needs a single array"), err);
    }
}
