package io.spherical.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.spherical.api.UserException;
import io.spherical.models.lm.OutputKind;
import io.spherical.training.checkpoint.Checkpoint;
import io.spherical.models.loss.LossRegistry;
import io.spherical.training.LossPlugin;
import io.spherical.training.RunDirectory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Compares the options given with {@code --resume} against the run's checkpoint. Options that define the model or
 * its data must match (or be left out); a contradiction is refused with one line naming it, instead of being ignored.
 */
final class ResumeCheck {
    private final Path runDir;
    private final JsonNode manifest;

    private ResumeCheck(Path runDir, JsonNode manifest) {
        this.runDir = runDir;
        this.manifest = manifest;
    }

    /** Reads the checkpoint's manifest (user errors for a missing or damaged checkpoint). */
    static ResumeCheck of(Path runDir) {
        return new ResumeCheck(runDir, Checkpoint.read(new RunDirectory(runDir).requireCheckpoint()).manifest());
    }

    /**
     * Refuses, in one line naming the loss and its jar, a run trained with a plugin loss that is not loaded (see
     * {@link LossPlugin#requireLoaded}); a plugin from another jar is the trainer's to warn about.
     */
    void requireLossPlugin(LossRegistry losses) {
        LossPlugin.requireLoaded(manifest, losses);
    }

    /** Throws a user error naming every option of {@code t} that contradicts the checkpoint. */
    void refuseConflicts(TrainCommand t) {
        JsonNode model = manifest.path("model");
        JsonNode training = manifest.path("training");
        List<String> conflicts = new ArrayList<>();
        if (t.output != null) {
            String saved = model.path("output").asText();
            differs(conflicts, "--output", OutputKind.parse(t.output).label(),
                    java.util.Arrays.stream(OutputKind.values()).filter(k -> k.name().equals(saved))
                            .map(OutputKind::label).findFirst().orElse(saved));
        }
        if (t.loss != null) {
            differs(conflicts, "--loss", t.loss, model.path("loss").asText());
        }
        JsonNode lossValues = manifest.path("loss").path("values");
        Map<String, Double> params = LossOptions.merge(t.lossParams, t.lossOptions);
        params.forEach((k, v) -> {
            JsonNode saved = lossValues.path(k);
            if (saved.isMissingNode() || saved.asDouble() != v) {
                conflicts.add("loss parameter " + k + " " + v + " (checkpoint: "
                        + (saved.isMissingNode() ? "none" : saved.asDouble()) + ")");
            }
        });
        if (t.context != null) {
            differs(conflicts, "--context", t.context, model.path("context").asInt());
        }
        if (t.embedding != null) {
            differs(conflicts, "--embedding", t.embedding, model.path("embedding").asInt());
        }
        if (t.hidden != null) {
            List<Integer> saved = new ArrayList<>();
            model.path("hidden").forEach(n -> saved.add(n.asInt()));
            List<Integer> given = t.hidden.stream().filter(h -> !h.isBlank()).map(h -> Integer.parseInt(h.trim())).toList();
            differs(conflicts, "--hidden", given, saved);
        }
        if (t.activation != null) {
            differs(conflicts, "--activation", t.activation, model.path("activation").asText());
        }
        if (t.samples != null) {
            differs(conflicts, "--samples", t.samples, model.path("samples").asInt());
        }
        if (t.cutoffs != null) {
            List<Integer> saved = new ArrayList<>();
            model.path("cutoffs").forEach(n -> saved.add(n.asInt()));
            differs(conflicts, "--cutoffs", t.cutoffs, saved);
        }
        if (t.stepBound != null) {
            double saved = !model.has("stepBound") ? 0.5 : model.path("stepBound").isTextual()
                    ? Double.parseDouble(model.path("stepBound").asText()) : model.path("stepBound").asDouble();  // "Infinity"
            differs(conflicts, "--step-bound", Options.stepBound(t.stepBound), saved);
        }
        if (t.seed != null) {
            differs(conflicts, "--seed", t.seed, model.path("seed").asLong());
        }
        if (t.batch != null) {
            differs(conflicts, "--batch", t.batch, training.path("batch").asInt());
        }
        if (t.vocabSize != null) {
            differs(conflicts, "--vocab-size", t.vocabSize, training.path("vocabSize").asInt());
        }
        if (t.minCount != null) {
            differs(conflicts, "--min-count", t.minCount, training.path("minCount").asInt());
        }
        if (t.optimizer != null) {
            differs(conflicts, "--optimizer", t.optimizer, training.path("optimizer").asText());
        }
        if (!t.optParams.isEmpty()) {
            Options.keyValues(t.optParams, "--opt-param").forEach((k, v) -> {
                JsonNode saved = manifest.path("optimizer").path("values").path(k);
                if (saved.isMissingNode() || saved.asDouble() != v) {
                    conflicts.add("optimizer parameter " + k + " " + v + " (checkpoint: "
                            + (saved.isMissingNode() ? "none" : saved.asDouble()) + ")");
                }
            });
        }
        if (t.preset != null) {
            conflicts.add("--preset " + t.preset + " (a preset defines a new model; the checkpoint has its own)");
        }
        String given = t.corpus == null ? null : TrainCommand.rawSpec(t.corpus, t.caseOption, t.split);
        if (given != null && !sameCorpus(given, recordedCorpus())) {
            conflicts.add("--corpus " + given + " (checkpoint: " + manifest.path("corpus").asText() + ")");
        }
        if (!conflicts.isEmpty()) {
            throw new UserException("--resume continues the run in " + runDir + " as its checkpoint defines it, but "
                    + String.join("; ", conflicts) + " contradicts it. Fix: leave those options out when resuming (only"
                    + " --epochs, --lr, --schedule, --patience, --max-train, --max-eval, --checkpoint-every and"
                    + " --backend may change), or start a new run with another --out.");
        }
    }

    private static void differs(List<String> conflicts, String option, Object given, Object saved) {
        if (!String.valueOf(given).equals(String.valueOf(saved))) {
            conflicts.add(option + " " + given + " (checkpoint: " + saved + ")");
        }
    }

    private static boolean sameCorpus(String a, String b) {
        if (Objects.equals(a, b)) {
            return true;
        }
        try {
            String ra = io.spherical.training.data.prepared.RawCorpora.canonical(a);
            if (ra.startsWith("books:") || ra.startsWith("wiki:")) {
                return ra.equals(io.spherical.training.data.prepared.RawCorpora.canonical(b));
            }
            String pa = a.startsWith("1bw:") ? a.substring(4) : a;
            String pb = b.startsWith("1bw:") ? b.substring(4) : b;
            return a.startsWith("1bw:") == b.startsWith("1bw:")
                    && Path.of(pa).toAbsolutePath().normalize().equals(Path.of(pb).toAbsolutePath().normalize());
        } catch (java.nio.file.InvalidPathException e) {
            return false;
        }
    }

    /** The {@code --corpus} value the checkpoint was trained on, read back from its recorded description. */
    String recordedCorpus() {
        return recorded(manifest, runDir);
    }

    /** The corpus a run recorded: its {@code corpusSpec}, or (runs written before it existed) its description. */
    static String recorded(JsonNode record, Path runDir) {
        String spec = record.path("corpusSpec").asText("");
        return spec.isEmpty() ? corpusSpec(record.path("corpus").asText(""), runDir) : spec;
    }

    /** The {@code --corpus} value that a recorded corpus description ({@code Corpus.describe()}) stands for. */
    static String corpusSpec(String d, Path runDir) {
        if (d.startsWith("brown")) {
            return "brown";
        }
        int open = d.indexOf('(');
        int close = d.lastIndexOf(')');
        if (d.startsWith("One Billion Word") && open > 0 && d.indexOf(',', open) > 0) {
            return "1bw:" + d.substring(open + 1, d.indexOf(',', open));
        }
        if (open > 0 && close > open) {
            return d.substring(open + 1, close);
        }
        throw new UserException("Cannot tell which corpus " + runDir + " was trained on. Fix: pass --corpus.");
    }
}
