package io.spherical.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.spherical.training.SyntheticCorpus;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The command as a user runs it: in-process for most cases, as a subprocess for Ctrl-C. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CliTest {
    private Path corpus;
    private Path root;

    record Run(int code, String out, String err) {
    }

    @BeforeAll
    void fixture(@TempDir Path tmp) throws IOException {
        root = tmp;
        corpus = SyntheticCorpus.write(tmp.resolve("corpus"), 120, 1500, 3);
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Run(code, out.toString(), err.toString());
    }

    /** A small, fast training command; {@code extra} entries "--key=value" replace defaults, others are appended. */
    private String[] small(Path out, String... extra) {
        java.util.LinkedHashMap<String, String> opts = new java.util.LinkedHashMap<>();
        opts.put("--corpus", corpus.toString());
        opts.put("--out", out.toString());
        opts.put("--context", "2");
        opts.put("--embedding", "8");
        opts.put("--hidden", "16");
        opts.put("--batch", "50");
        opts.put("--epochs", "2");
        opts.put("--min-count", "1");
        List<String> flags = new ArrayList<>();
        for (String e : extra) {
            int eq = e.indexOf('=');
            if (e.startsWith("--") && eq > 0) {
                opts.put(e.substring(0, eq), e.substring(eq + 1));
            } else {
                flags.add(e);
            }
        }
        List<String> a = new ArrayList<>(List.of("train"));
        opts.forEach((k, v) -> {
            a.add(k);
            a.add(v);
        });
        a.addAll(flags);
        return a.toArray(String[]::new);
    }

    @Test
    void backendsListsEveryProviderAndTheChoice() {
        Run r = run("backends");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("nd4j") && r.out().contains("available") && r.out().contains("chosen: nd4j"), r.out());
    }

    @Test
    void lossesListsTheBuiltInsWithParameters() {
        Run r = run("losses");
        assertEquals(0, r.code());
        for (String name : List.of("z-loss", "squared-error", "log-taylor-softmax", "log-spherical-softmax")) {
            assertTrue(r.out().contains(name), name + " missing from\n" + r.out());
        }
        assertTrue(r.out().contains("default 1.0") && r.out().contains("eps"), r.out());
    }

    @Test
    void everyCommandHasHelpWithExamples() {
        for (String cmd : List.of("train", "eval", "backends", "losses")) {
            Run r = run(cmd, "--help");
            assertEquals(0, r.code(), cmd);
            assertTrue(r.out().contains("Example"), cmd + " help has no examples:\n" + r.out());
        }
    }

    @Test
    void trainWritesTheRunDirectoryAndEvalReadsIt() throws IOException {
        Path out = root.resolve("run-ok");
        Run r = run(small(out));
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("epoch  train-loss") && r.out().contains("Results in " + out), r.out());
        for (String f : List.of("checkpoint.zip", "run.json", "metrics.csv", "learning-curve.png")) {
            assertTrue(Files.size(out.resolve(f)) > 0, f);
        }
        byte[] png = Arrays.copyOf(Files.readAllBytes(out.resolve("learning-curve.png")), 8);
        assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}, png);
        List<String> csv = Files.readAllLines(out.resolve("metrics.csv"));
        assertTrue(csv.get(0).startsWith("epoch,split,loss,top1_error,top5_error,top10_error"), csv.get(0));
        assertEquals(1 + 2 * 2, csv.size(), "train and valid rows for each epoch");
        String runJson = Files.readString(out.resolve("run.json"));
        assertTrue(runJson.contains("\"backend\" : \"nd4j\"") && runJson.contains("\"seed\"")
                && runJson.contains("\"totalSeconds\""), runJson);
        assertTrue(runJson.contains("\"corpusSpec\" : \"" + corpus.toAbsolutePath().normalize() + "\""),
                "the corpus is recorded as the value that reopens it: " + runJson);
        Run e = run("eval", "--run", out.toString(), "--split", "test");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("top-10 error") && e.out().contains("MRR"), e.out());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "missing corpus|--corpus=/nonexistent/corpus|does not exist",
        "negative learning rate|--lr=-1|--lr must be a positive number",
        "zero batch|--batch=0|--batch must be >= 1",
        "zero context|--context=0|--context must be >= 1",
        "unknown loss|--loss=hinge|Unknown loss 'hinge'",
        "alpha not positive|--a=0|a (alpha) must be a finite number > 0",
        "unknown output|--output=tree|Unknown output layer 'tree'",
        "unknown flag|--frobnicate|Unknown option",
        "unknown backend|--backend=tornado|Unknown backend 'tornado'",
        "resume without checkpoint|--resume|does not exist",
        "unknown progress form|--progress=fancy|--progress must be auto, bar or plain",
    })
    void userErrorsGiveOneLineAndExitTwo(String what, String flag, String message) {
        Path out = root.resolve("bad-" + what.replace(' ', '-'));
        Run r = run(small(out, flag));
        assertEquals(2, r.code(), what + ": " + r.err());
        String[] lines = r.err().strip().split("\n");
        assertEquals(1, lines.length, what + ": one line expected, got\n" + r.err());
        assertTrue(lines[0].startsWith("spherical: ") && lines[0].contains(message), what + ": " + lines[0]);
        assertTrue(!r.err().contains("Exception"), "no stack trace: " + r.err());
    }

    /** The manifest of a run's checkpoint. */
    static com.fasterxml.jackson.databind.JsonNode manifest(Path run) throws IOException {
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(run.resolve("checkpoint.zip").toFile())) {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                    z.getInputStream(z.getEntry("manifest.json")));
        }
    }

    @Test
    void ctrlCWritesACheckpointExitsWith130AndResumeTrainsToTheEnd() throws Exception {
        Path out = root.resolve("run-interrupted");
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        // early stopping off and many epochs: the run must still be training when the interrupt comes (a fast machine
        // once finished 7 epochs, stopped early, before the SIGINT arrived)
        cmd.addAll(Arrays.asList(small(out, "--epochs=500", "--patience=0")));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(root.resolve("sub.log").toFile()).start();
        Path ckpt = out.resolve("checkpoint.zip");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(ckpt) && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(ckpt), "the run never started: " + Files.readString(root.resolve("sub.log")));
        // interrupt once training is under way: after the first epoch's checkpoint replaced the step-0 one
        while (manifest(out).path("progress").path("step").asLong() == 0 && System.nanoTime() < deadline && p.isAlive()) {
            Thread.sleep(100);
        }
        Thread.sleep(300);
        // SIGTERM, not SIGINT: Ctrl-C and SIGTERM share one handler (Signals), and a JVM started from a background job
        // inherits SIGINT ignored and cannot handle it (a CI started with 'nohup ... &' then saw the run finish)
        new ProcessBuilder("kill", "-TERM", Long.toString(p.pid())).start().waitFor();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "did not stop after SIGTERM");
        String log = Files.readString(root.resolve("sub.log"));
        assertEquals(130, p.exitValue(), log);
        assertTrue(log.contains("--resume"), log);
        var stopped = manifest(out).path("progress");
        long stepAtStop = stopped.path("step").asLong();
        assertTrue(stepAtStop > 0 && !stopped.path("finished").asBoolean(), "the checkpoint advanced: " + stopped);
        assertTrue(log.contains("checkpoint written to " + ckpt + " at step " + stepAtStop), log);
        int epochs = stopped.path("epoch").asInt() + 2;       // the stop lands in epoch 1 or later (a fast machine)
        Run resumed = run(small(out, "--epochs=" + epochs, "--resume"));
        assertEquals(0, resumed.code(), resumed.err());
        var done = manifest(out).path("progress");
        assertTrue(done.path("finished").asBoolean() && done.path("epoch").asInt() == epochs
                && done.path("step").asLong() > stepAtStop, "the resumed run trained to the end: " + done);
        assertEquals(epochs, manifest(out).path("history").size(), "one validation row per epoch");
    }

    @Test
    void resumeMayChangeTheEpochsAndTheLearningRate() throws IOException {
        Path out = root.resolve("run-resume-lr");
        assertEquals(0, run(small(out, "--epochs=1")).code());
        Run r = run("train", "--out", out.toString(), "--resume", "--epochs", "2", "--lr", "0.25", "--schedule", "plateau");
        assertEquals(0, r.code(), r.err());
        var training = manifest(out).path("training");
        assertEquals(0.25, training.path("learningRate").asDouble());
        assertEquals("PLATEAU", training.path("schedule").asText()); // enums by name, as the output kind
        assertEquals(2, manifest(out).path("history").size());
    }

    @Test
    void aMinibatchLargerThanTheCorpusIsCappedAndTrains() throws IOException {
        // the issue's case: a 200-line corpus and --batch 100000 grew to 24 GB and was killed
        Path c = SyntheticCorpus.write(root.resolve("c200"), 50, 200, 9);
        Path out = root.resolve("run-capped");
        Run r = run("train", "--corpus", c.toString(), "--out", out.toString(), "--min-count", "1", "--batch", "100000",
                "--epochs", "1");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("Minibatch capped at "), r.out());
        int capped = manifest(out).path("training").path("batch").asInt();
        assertTrue(capped > 1000 && capped < 100_000, "batch " + capped);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "CRLF line endings|the cat sat\\r\\nthe dog sat\\r\\na cat ran\\r\\n",
        "one word|hello\\n",
        "byte-order mark|\\ufeffun deux trois\\nquatre cinq six\\n",
    })
    void tinyCorporaTrainWithDefaultSettings(String what, String line) throws IOException {
        Path dir = root.resolve("tiny-" + what.replace(' ', '-'));
        Files.createDirectories(dir);
        String text = line.replace("\\ufeff", "\ufeff").replace("\\r", "\r").replace("\\n", "\n");
        text = text.startsWith("\ufeff") ? "\ufeff" + text.substring(1).repeat(30) : text.repeat(30);
        for (String f : List.of("train.txt", "valid.txt", "test.txt")) {
            Files.writeString(dir.resolve(f), text);
        }
        Run r = run("train", "--corpus", dir.toString(), "--out", root.resolve("run-" + dir.getFileName()).toString(),
                "--epochs", "2", "--min-count", "1");
        assertEquals(0, r.code(), what + ": " + r.err());
        assertTrue(r.err().isEmpty(), what + ": nothing on stderr: " + r.err());
    }

    @Test
    void experimentRunsTheProtocolAndSkipsFinishedRuns() throws IOException {
        Path out = root.resolve("protocol");
        String[] args = {"experiment", "--corpus", corpus.toString(), "--out", out.toString(), "--kinds",
            "z-loss,log-softmax", "--lrs", "0.5", "--schedules", "constant", "--interval", "500", "--tune-intervals", "1",
            "--max-intervals", "3", "--patience", "1", "--max-eval", "200", "--seeds", "2", "--min-count", "1"};
        Run r = run(args);
        assertEquals(0, r.code(), r.err());
        for (String f : List.of("tuning.csv", "selection.csv", "curves.csv", "final.csv", "summary.md",
                "time-to-accuracy.png", "topk.png")) {
            assertTrue(Files.exists(out.resolve(f)) && Files.size(out.resolve(f)) > 0, f);
        }
        List<String> fin = Files.readAllLines(out.resolve("final.csv"));
        assertEquals(5, fin.size(), "every kind with the same 2 seeds (--seeded defaults to every kind): " + fin);
        assertTrue(r.out().contains("| controlled steps | host solves | slow intervals |"), r.out());
        assertTrue(r.out().contains("| z-loss | z-loss-b") && r.out().contains("| log-softmax | log-softmax-lr") && r.out().contains("test top-10 within 5 min"),
                r.out());
        Path ckpt = out.resolve("final").resolve("z-loss-seed1").resolve("checkpoint.zip");
        long before = Files.getLastModifiedTime(ckpt).toMillis();
        Run again = run(args);
        assertEquals(0, again.code(), again.err());
        assertEquals(before, Files.getLastModifiedTime(ckpt).toMillis(), "a finished run is not trained again");
        assertEquals(fin, Files.readAllLines(out.resolve("final.csv")));
    }

    @Test
    void benchLayerPrintsTheCsvColumnsAndAPlot() throws IOException {
        Path png = root.resolve("bench.png");
        Run r = run("bench", "layer", "--layers", "factored-z,softmax,hsm,dense-z", "--vocab", "300,600", "--dim", "17",
                "--batch", "8", "--warmup", "1", "--iterations", "2", "--format", "csv", "--plot", png.toString());
        assertEquals(0, r.code(), r.err());
        String[] lines = r.out().strip().split("\n");
        assertEquals("layer,vocab,dim,batch,ms_median,ms_min,ms_max,examples_per_s,gflops,peak_mb", lines[0]);
        assertEquals(1 + 8, lines.length, r.out());
        assertTrue(Files.size(png) > 0);
    }

    /** The options of a help text by name, each with its description (wrapped lines joined, spaces collapsed). */
    static java.util.Map<String, String> optionHelp(String help) {
        java.util.Map<String, String> entries = new java.util.LinkedHashMap<>();
        java.util.regex.Pattern start = java.util.regex.Pattern.compile("^ {0,8}(?:-[a-zA-Z], )?(--[a-z][a-z0-9-]*)(.*)$");
        String current = null;
        for (String line : help.split("\\R")) {
            java.util.regex.Matcher m = start.matcher(line);
            if (m.matches()) {
                current = m.group(1);
                entries.put(current, m.group(2).strip());
            } else if (current != null && line.startsWith("  ") && !line.isBlank()) {
                entries.merge(current, line.strip(), (a, b) -> a + " " + b);
            } else {
                current = null;
            }
        }
        entries.replaceAll((k, v) -> v.replaceAll("\\s+", " "));
        return entries;
    }

    @Test
    void trainHelpShowsTheDefaultOfEveryOptionAndDescribesTheLossParameters() {
        Run r = run("train", "--help");
        assertEquals(0, r.code(), r.err());
        java.util.Map<String, String> help = optionHelp(r.out());
        var bm = io.spherical.training.Preset.BROWN.model();
        var bt = io.spherical.training.Preset.BROWN.training();
        var om = io.spherical.training.Preset.ONE_BILLION_WORD.model();
        var ot = io.spherical.training.Preset.ONE_BILLION_WORD.training();
        java.util.Map<String, List<Object>> fromPreset = new java.util.LinkedHashMap<>();
        fromPreset.put("--context", List.<Object>of(bm.context(), om.context()));
        fromPreset.put("--embedding", List.<Object>of(bm.embedding(), om.embedding()));
        fromPreset.put("--hidden", List.<Object>of(join(bm.hidden()), join(om.hidden())));
        fromPreset.put("--batch", List.<Object>of(bt.batch(), ot.batch()));
        fromPreset.put("--epochs", List.<Object>of(bt.epochs(), ot.epochs()));
        fromPreset.put("--min-count", List.<Object>of(bt.minCount(), ot.minCount()));
        fromPreset.put("--schedule", List.<Object>of(bt.schedule().label(), ot.schedule().label()));
        fromPreset.put("--patience", List.<Object>of(bt.patience(), ot.patience()));
        fromPreset.put("--max-train", List.<Object>of(bt.maxTrainExamples(), ot.maxTrainExamples()));
        fromPreset.put("--max-eval", List.<Object>of(bt.maxEvalExamples(), ot.maxEvalExamples()));
        fromPreset.put("--checkpoint-every", List.<Object>of(bt.checkpointEvery(), ot.checkpointEvery()));
        fromPreset.put("--seed", List.<Object>of(bm.seed(), om.seed()));
        fromPreset.put("--activation", List.<Object>of(bm.activation().label(), om.activation().label()));
        fromPreset.put("--output", List.<Object>of(bm.output().label(), om.output().label()));
        fromPreset.put("--loss", List.<Object>of(bm.loss(), om.loss()));
        fromPreset.put("--optimizer", List.<Object>of(bt.optimizer(), ot.optimizer()));
        fromPreset.forEach((option, v) -> {
            String text = help.get(option);
            assertTrue(text != null, option + " missing from\n" + r.out());
            String expected = "(default: the preset's, brown: " + v.get(0) + ", 1bw: " + v.get(1) + ")";
            assertTrue(text.contains(expected), option + ": '" + expected + "' expected in: " + text);
        });
        // --lr: brown's follows the layer and D (DefaultRates), 1bw's is the preset's
        double small = io.spherical.training.DefaultRates.rate(bm, io.spherical.training.DefaultRates.BROWN_D, 0);
        double large = io.spherical.training.DefaultRates.rate(bm, io.spherical.training.DefaultRates.LARGE_D, 0);
        assertTrue(help.get("--lr").contains("Z-loss's " + LossOptions.number(small) + " below D = 51,362 and "
                + LossOptions.number(large) + " from it; 1bw: " + LossOptions.number(ot.learningRate()) + ")"), help.get("--lr"));
        // every option says its default, except the flags (off unless given) and help/version
        List<String> flags = List.of("--help", "--version", "--resume", "--verbose", "--quiet");
        help.forEach((option, text) -> {
            if (!flags.contains(option)) {
                assertTrue(text.contains("(default: "), option + " has no default: " + text);
            }
        });
        assertTrue(help.get("--group-timeout").contains("(default: 300)"), help.get("--group-timeout"));
        assertTrue(help.get("--progress").contains("(default: auto)"), help.get("--progress"));
        // the options generated from the losses' hyperparameters: the declared description and default
        assertTrue(help.get("--a").contains("alpha, sharpness of the softplus") && help.get("--a").contains("(default: 1)"),
                help.get("--a"));
        assertTrue(help.get("--b").contains("beta, margin on z") && help.get("--b").contains("(default: 0)"), help.get("--b"));
        assertTrue(help.get("--top").replace(" ", "").contains("derivesbeta=sqrt(D/k-1)") && help.get("--top").contains("(default: 10)"),
                help.get("--top"));
        assertTrue(help.get("--eps").contains("added to every o^2") && help.get("--eps").contains("(default: 0.001)"),
                help.get("--eps"));
    }

    private static String join(List<Integer> widths) {
        return String.join(",", widths.stream().map(String::valueOf).toList());
    }

    /** A line of plain progress: "epoch 2: 1,200/9,800 examples (12%), ..." or "eval valid: ...". */
    private static final java.util.regex.Pattern PROGRESS_LINE =
            java.util.regex.Pattern.compile("(?m)^(epoch \\d+|eval \\w+): [\\d,]+/[\\d,]+ examples");

    @Test
    void plainProgressWritesWholeLinesAndQuietWritesNone() {
        Run plain = run(small(root.resolve("run-plain"), "--progress=plain", "--progress-every=0.000001"));
        assertEquals(0, plain.code(), plain.err());
        assertTrue(!plain.out().contains("\r") && !plain.err().contains("\r"), "no carriage returns:\n" + plain.out());
        assertTrue(PROGRESS_LINE.matcher(plain.out()).find(), "progress lines expected:\n" + plain.out());
        assertTrue(plain.out().contains("ex/s") && plain.out().contains(", loss "), plain.out());

        Run quiet = run(small(root.resolve("run-quiet"), "--progress=plain", "--progress-every=0.000001", "--quiet"));
        assertEquals(0, quiet.code(), quiet.err());
        assertTrue(!PROGRESS_LINE.matcher(quiet.out()).find(), "no progress line with --quiet:\n" + quiet.out());
        assertTrue(quiet.out().contains("epoch  train-loss") && quiet.out().contains("Results in "),
                "the results still print:\n" + quiet.out());
        assertTrue(quiet.out().contains("epoch 1: train loss"), "the per-epoch result line still prints:\n" + quiet.out());
    }
}
