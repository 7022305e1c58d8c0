package io.spherical.training;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.spherical.api.Backend;
import io.spherical.api.Optimizer;
import io.spherical.api.SphericalLoss;
import io.spherical.api.UserException;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.training.data.Corpus;
import io.spherical.models.lm.Vocabulary;
import io.spherical.models.lm.ModelConfig;
import io.spherical.models.lm.NgramLanguageModel;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The files of a run: {@code checkpoint.zip} (see {@link Checkpoint}), {@code run.json} (configuration, provenance,
 * history, timings, the output layer's diagnostics) and {@code metrics.csv}. Every write is atomic and durable (a
 * temporary sibling forced to disk, a rename, then the directory forced), so neither an interruption nor a power cut
 * leaves an empty or half-written file.
 */
public final class RunDirectory {
    /** The checkpoint's file name in a run directory. */
    public static final String CHECKPOINT = "checkpoint.zip";
    /** The header of metrics.csv. */
    public static final String CSV_HEADER = "epoch,split,loss,top1_error,top5_error,top10_error,top20_error,"
            + "top50_error,top100_error,mrr,perplexity,examples_per_s,seconds\n";

    private final Path dir;

    /** A run directory at {@code dir} (not created yet). */
    public RunDirectory(Path dir) {
        this.dir = dir;
    }

    /** The directory. */
    public Path path() {
        return dir;
    }

    /** Its checkpoint file. */
    public Path checkpoint() {
        return dir.resolve(CHECKPOINT);
    }

    /** The checkpoint a resumed run continues from; a user error naming the fix when there is none. */
    public Path requireCheckpoint() {
        if (!Files.exists(checkpoint())) {
            throw new UserException("--resume was given but " + checkpoint() + " does not exist. Fix: drop --resume to"
                    + " start a new run, or point --out at the run directory to continue.");
        }
        return checkpoint();
    }

    /** Creates the directory and proves it writable; a user error naming the fix otherwise. */
    public void prepare() {
        try {
            Files.createDirectories(dir);
            Path probe = Files.createTempFile(dir, ".write-test", ".tmp");
            Files.delete(probe);
        } catch (IOException e) {
            throw new UserException("The output directory " + dir + " is not writable (" + e.getMessage()
                    + "). Fix: choose a writable --out.", e);
        }
    }

    /** The configuration and provenance every checkpoint and run.json record. */
    static ObjectNode record(Backend backend, ModelConfig mc, TrainingConfig tc, SphericalLoss loss, Optimizer opt,
                             Vocabulary vocab, Corpus corpus) {
        ObjectNode m = Checkpoint.JSON.createObjectNode();
        m.put("created", Instant.now().toString());
        ObjectNode prov = m.putObject("provenance");
        prov.put("spherical", version());
        prov.put("java", System.getProperty("java.version"));
        prov.put("os", System.getProperty("os.name") + " " + System.getProperty("os.arch"));
        prov.put("backend", backend.name());
        prov.put("device", backend.device());
        m.set("model", Checkpoint.JSON.valueToTree(mc));
        m.set("training", Checkpoint.JSON.valueToTree(tc));
        ObjectNode l = m.putObject("loss");
        l.put("name", loss.name());
        l.set("values", Checkpoint.JSON.valueToTree(loss.values()));
        LossPlugin.of(loss).ifPresent(p -> m.set(LossPlugin.FIELD, p.toJson()));   // the jar a plugin loss came from
        ObjectNode eff = m.putObject("effective");         // every setting derived from D, as the model uses it
        if (mc.output().spherical()) {
            eff.set("loss", Checkpoint.JSON.valueToTree(new java.util.TreeMap<>(loss.effectiveValues(vocab.size()))));
            eff.put("stepBound", mc.stepBound());
        }
        switch (mc.output()) {
            case SAMPLED -> eff.put("samples", NgramLanguageModel.samples(mc, vocab.size()));
            case ADAPTIVE -> eff.set("cutoffs", Checkpoint.JSON.valueToTree(NgramLanguageModel.cutoffs(mc, vocab.size())));
            default -> { }
        }
        ObjectNode o = m.putObject("optimizer");
        o.put("name", opt.name());
        o.set("values", Checkpoint.JSON.valueToTree(opt.values()));
        m.put("corpus", corpus.describe());
        m.put("corpusSpec", corpus.spec());
        m.put("vocabularySize", vocab.size());
        return m;
    }

    /** Writes the checkpoint: the record plus where training stands, and every array of the model. */
    void saveCheckpoint(ObjectNode record, NgramLanguageModel model, Vocabulary vocab, Progress progress,
                        List<HistoryRow> history, Backend backend) {
        ObjectNode m = record.deepCopy();
        m.set("progress", Checkpoint.JSON.valueToTree(progress));
        m.set("history", Checkpoint.JSON.valueToTree(history));
        m.put("outputCounter", model.output().counter());
        Checkpoint.write(checkpoint(), m, vocab, model.state(), backend);
    }

    /** Writes run.json and metrics.csv. */
    void writeRunFiles(ObjectNode record, long seed, List<HistoryRow> history, Map<String, Long> diagnostics,
                       double seconds) {
        ObjectNode run = record.deepCopy();
        run.put("seed", seed);
        run.set("diagnostics", Checkpoint.JSON.valueToTree(diagnostics));
        ObjectNode timings = run.putObject("timings");
        timings.put("totalSeconds", seconds);
        ArrayNode epochs = timings.putArray("epochSeconds");
        history.forEach(h -> epochs.add(h.seconds()));
        run.set("history", Checkpoint.JSON.valueToTree(history));
        StringBuilder csv = new StringBuilder(CSV_HEADER);
        for (HistoryRow h : history) {
            Metrics v = h.metrics();
            csv.append(String.format(Locale.ROOT, "%d,train,%.6f,,,,,,,,%s,%.1f,%.2f%n", h.epoch(), h.trainLoss(),
                    Double.isNaN(v.perplexity()) ? "" : String.format(Locale.ROOT, "%.4f", Math.exp(h.trainLoss())),
                    h.examplesPerSecond(), h.seconds()));
            csv.append(csvRow(h.epoch(), v, h.examplesPerSecond(), h.seconds()));
        }
        try {
            writeAtomically(dir.resolve("run.json"), Checkpoint.JSON.writeValueAsBytes(run));
            writeAtomically(dir.resolve("metrics.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UserException("Cannot write run files into " + dir + ": " + e.getMessage()
                    + ". Fix: choose a writable --out.", e);
        }
    }

    /** A metrics.csv line for a split's metrics. */
    public static String csvRow(int epoch, Metrics v, double eps, double secs) {
        Map<Integer, Double> e = v.topKError();
        return String.format(Locale.ROOT, "%d,%s,%.6f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%.5f,%s,%.1f,%.2f%n", epoch,
                v.split(), v.loss(), e.get(1), e.get(5), e.get(10), e.get(20), e.get(50), e.get(100), v.mrr(),
                Double.isNaN(v.perplexity()) ? "" : String.format(Locale.ROOT, "%.4f", v.perplexity()), eps, secs);
    }

    /**
     * Writes a file atomically and durably: a temporary sibling forced to disk, renamed over the file, then the
     * directory forced ({@link Checkpoint#forceDirectory}).
     */
    public static void writeAtomically(Path file, byte[] data) throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp");
        try {
            Files.write(tmp, data);
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
        Checkpoint.forceDirectory(dir);
    }

    static String version() {
        String v = RunDirectory.class.getPackage().getImplementationVersion();
        return v != null ? v : "0.1.0-SNAPSHOT";
    }
}
